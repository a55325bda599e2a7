"""The caja's desktop UI (NiceGUI), served by `stocky edge run` next to the local API."""
