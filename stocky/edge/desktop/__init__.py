"""The caja on a desktop (issue 19): its window, one running caja per data dir, and starting
at login. `stocky edge run` composes them; the bundle (`stocky-caja`) enters through
`entry.main`."""
