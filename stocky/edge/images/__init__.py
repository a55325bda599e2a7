"""Product images kept at the caja (<data_dir>/images/<key>) so its screens show them offline."""
