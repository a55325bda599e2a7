"""The caja's SQLite schema, as ordered migrations (index + 1 = PRAGMA user_version).

Money is INTEGER cents and quantities INTEGER thousandths (stocky.core.money) so SUMs stay
exact; STRICT tables refuse a float that slips through. ids are uuid7 TEXT, timestamps
ISO-8601 UTC TEXT (see stocky.edge.store.timestamps), JSON columns are checked json_valid.
Never edit a released migration: append a new one.
"""

from __future__ import annotations

from typing import Final

SCHEMA_V1: Final = """
CREATE TABLE app_config (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL CHECK (json_valid(value))
) STRICT;

CREATE TABLE sede_info (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    tenant_id         TEXT NOT NULL,
    tenant_name       TEXT NOT NULL,
    sede_id           TEXT NOT NULL,
    sede_name         TEXT NOT NULL,
    device_id         TEXT NOT NULL,
    device_name       TEXT NOT NULL,
    device_credential TEXT NOT NULL,
    cloud_url         TEXT NOT NULL,
    jwks              TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(jwks)),
    config            TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(config)),
    currency          TEXT NOT NULL,
    locale            TEXT NOT NULL,
    timezone          TEXT NOT NULL,
    activated_at      TEXT NOT NULL
) STRICT;

-- Synced from the cloud; read-only at the caja. Email is not unique here: a pulled page may
-- hold a user's new email before the old holder's change arrives.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL,
    sede_id       TEXT,
    email         TEXT NOT NULL,
    name          TEXT NOT NULL,
    password_hash TEXT,
    role          TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'manager', 'cashier')),
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    version       INTEGER NOT NULL DEFAULT 1,
    updated_at    TEXT NOT NULL
) STRICT;
CREATE INDEX users_email ON users (email COLLATE NOCASE);

CREATE TABLE products (
    id               TEXT PRIMARY KEY,
    sku              TEXT NOT NULL,
    name             TEXT NOT NULL,
    category         TEXT,
    barcode          TEXT,
    price_cents      INTEGER NOT NULL CHECK (price_cents >= 0),
    cost_cents       INTEGER CHECK (cost_cents >= 0),
    tax_rate         TEXT NOT NULL DEFAULT '0'
                     CHECK (tax_rate <> '' AND tax_rate NOT GLOB '*[^0-9.]*'),
    unit             TEXT NOT NULL DEFAULT 'unit' CHECK (unit IN ('unit', 'weight')),
    active           INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    image_url        TEXT,
    version          INTEGER NOT NULL DEFAULT 1,
    last_modified_at TEXT NOT NULL,
    synced_at        TEXT
) STRICT;
CREATE UNIQUE INDEX products_sku ON products (sku);
CREATE UNIQUE INDEX products_barcode ON products (barcode) WHERE barcode IS NOT NULL;

CREATE TABLE product_barcodes (
    barcode    TEXT PRIMARY KEY,
    product_id TEXT NOT NULL
               REFERENCES products (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
) STRICT;
CREATE INDEX product_barcodes_product ON product_barcodes (product_id);

-- External content: the text lives once, in products; triggers keep the index in step.
CREATE VIRTUAL TABLE products_fts USING fts5 (
    name, sku, barcode, category,
    content = 'products',
    content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);
CREATE TRIGGER products_fts_insert AFTER INSERT ON products BEGIN
    INSERT INTO products_fts (rowid, name, sku, barcode, category)
    VALUES (new.rowid, new.name, new.sku, new.barcode, new.category);
END;
CREATE TRIGGER products_fts_delete AFTER DELETE ON products BEGIN
    INSERT INTO products_fts (products_fts, rowid, name, sku, barcode, category)
    VALUES ('delete', old.rowid, old.name, old.sku, old.barcode, old.category);
END;
-- Only the indexed columns: a price change does not touch the index.
CREATE TRIGGER products_fts_update AFTER UPDATE OF name, sku, barcode, category ON products
BEGIN
    INSERT INTO products_fts (products_fts, rowid, name, sku, barcode, category)
    VALUES ('delete', old.rowid, old.name, old.sku, old.barcode, old.category);
    INSERT INTO products_fts (rowid, name, sku, barcode, category)
    VALUES (new.rowid, new.name, new.sku, new.barcode, new.category);
END;

-- quantity_milli is what the caja shows: cloud_quantity_milli (the cloud's sum of movements
-- as of cloud_position) plus this sede's movements the cloud had not included at that point.
CREATE TABLE inventory (
    product_id           TEXT PRIMARY KEY
                         REFERENCES products (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    quantity_milli       INTEGER NOT NULL DEFAULT 0,
    cloud_quantity_milli INTEGER,
    cloud_position       TEXT,
    min_milli            INTEGER NOT NULL DEFAULT 0 CHECK (min_milli >= 0),
    max_milli            INTEGER CHECK (max_milli IS NULL OR max_milli >= min_milli),
    updated_at           TEXT NOT NULL
) STRICT;

-- A caja has one cash drawer, so at most one open shift at a time.
CREATE TABLE shifts (
    id                  TEXT PRIMARY KEY,
    user_id             TEXT NOT NULL,
    opened_at           TEXT NOT NULL,
    opening_float_cents INTEGER NOT NULL CHECK (opening_float_cents >= 0),
    closed_at           TEXT,
    counted_cash_cents  INTEGER,
    expected_cash_cents INTEGER,
    status              TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    z_report            TEXT CHECK (z_report IS NULL OR json_valid(z_report)),
    CHECK ((status = 'open') = (closed_at IS NULL))
) STRICT;
CREATE UNIQUE INDEX shifts_one_open ON shifts (status) WHERE status = 'open';

CREATE TABLE sales (
    id             TEXT PRIMARY KEY,
    number         INTEGER NOT NULL UNIQUE CHECK (number > 0),
    user_id        TEXT NOT NULL,
    shift_id       TEXT REFERENCES shifts (id),
    subtotal_cents INTEGER NOT NULL,
    discount_cents INTEGER NOT NULL DEFAULT 0,
    tax_cents      INTEGER NOT NULL DEFAULT 0,
    total_cents    INTEGER NOT NULL,
    paid_cents     INTEGER NOT NULL,
    change_cents   INTEGER NOT NULL DEFAULT 0 CHECK (change_cents >= 0),
    client_ts      TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'completed'
                   CHECK (status IN ('completed', 'partially_returned', 'returned', 'voided'))
) STRICT;
CREATE INDEX sales_shift ON sales (shift_id);
CREATE INDEX sales_client_ts ON sales (client_ts);

CREATE TABLE sale_payments (
    id           TEXT PRIMARY KEY,
    sale_id      TEXT NOT NULL REFERENCES sales (id) ON DELETE CASCADE,
    method       TEXT NOT NULL CHECK (method IN ('cash', 'card', 'transfer')),
    amount_cents INTEGER NOT NULL
) STRICT;
CREATE INDEX sale_payments_sale ON sale_payments (sale_id);

-- Append-only stock movements; quantity_milli is signed (negative leaves the store).
-- sale_id has no foreign key: pulled movements of other cajas name sales this file lacks.
CREATE TABLE transactions (
    id               TEXT PRIMARY KEY,
    type             TEXT NOT NULL CHECK (type IN (
                         'sale', 'return', 'entry', 'adjustment', 'transfer_out', 'transfer_in')),
    product_id       TEXT NOT NULL REFERENCES products (id) DEFERRABLE INITIALLY DEFERRED,
    quantity_milli   INTEGER NOT NULL,
    unit_price_cents INTEGER NOT NULL DEFAULT 0,
    unit_cost_cents  INTEGER,
    discount_cents   INTEGER NOT NULL DEFAULT 0,
    product_version  INTEGER,
    sale_id          TEXT,
    ref_id           TEXT,
    document_id      TEXT NOT NULL,
    user_id          TEXT NOT NULL,
    client_ts        TEXT NOT NULL,
    server_ts        TEXT,
    cloud_position   TEXT,
    note             TEXT,
    CHECK (CASE type
        WHEN 'adjustment' THEN 1
        WHEN 'sale' THEN quantity_milli < 0
        WHEN 'transfer_out' THEN quantity_milli < 0
        ELSE quantity_milli > 0
    END)
) STRICT;
CREATE INDEX transactions_product ON transactions (product_id);
CREATE INDEX transactions_sale ON transactions (sale_id);
CREATE INDEX transactions_client_ts ON transactions (client_ts);
CREATE INDEX transactions_document ON transactions (document_id);
-- The movements the cloud has not confirmed yet, added on top of cloud_quantity_milli.
CREATE INDEX transactions_unconfirmed ON transactions (product_id) WHERE cloud_position IS NULL;
CREATE TRIGGER transactions_no_delete BEFORE DELETE ON transactions BEGIN
    SELECT RAISE(ABORT, 'transactions are append-only');
END;
-- Only what the cloud tells us later (server_ts, cloud_position) may change.
CREATE TRIGGER transactions_no_update BEFORE UPDATE OF
    id, type, product_id, quantity_milli, unit_price_cents, unit_cost_cents, discount_cents,
    product_version, sale_id, ref_id, document_id, user_id, client_ts, note
ON transactions BEGIN
    SELECT RAISE(ABORT, 'transactions are append-only');
END;

-- The outbox: written in the same transaction as the change it records.
CREATE TABLE sync_queue (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id           TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    entity_id       TEXT NOT NULL,
    payload         TEXT NOT NULL CHECK (json_valid(payload)),
    base_version    INTEGER,
    client_ts       TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'synced', 'rejected', 'conflict')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error      TEXT,
    result          TEXT CHECK (result IS NULL OR json_valid(result)),
    created_at      TEXT NOT NULL,
    synced_at       TEXT
) STRICT;
CREATE INDEX sync_queue_pending ON sync_queue (seq) WHERE status = 'pending';
-- Write checkpoint: a pulled row must not overwrite an entity with pending ops.
CREATE INDEX sync_queue_pending_entity ON sync_queue (entity_id) WHERE status = 'pending';

CREATE TABLE auth_session (
    token_hash   TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    cloud_token  TEXT
) STRICT;
CREATE INDEX auth_session_user ON auth_session (user_id);

CREATE TABLE audit_logs (
    id          TEXT PRIMARY KEY,
    user_id     TEXT,
    action      TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id   TEXT,
    before_data TEXT CHECK (before_data IS NULL OR json_valid(before_data)),
    after_data  TEXT CHECK (after_data IS NULL OR json_valid(after_data)),
    ts          TEXT NOT NULL
) STRICT;
CREATE INDEX audit_logs_entity ON audit_logs (entity_type, entity_id);
CREATE INDEX audit_logs_ts ON audit_logs (ts);

-- cursor, epoch, last_push_at, last_pull_at, clock_offset_ms, ...: ANY keeps ints as ints.
CREATE TABLE sync_state (
    key   TEXT PRIMARY KEY,
    value ANY
) STRICT;

CREATE TABLE lan_peers (
    device_id    TEXT PRIMARY KEY,
    address      TEXT NOT NULL,
    port         INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
    rank         INTEGER NOT NULL,
    last_seen_at TEXT NOT NULL,
    role         TEXT NOT NULL DEFAULT 'unknown' CHECK (role IN ('master', 'slave', 'unknown'))
) STRICT;
"""

# Write checkpoint: a pulled row for an entity with pending local ops waits here (latest
# wins) until the push worker sees those ops acknowledged (stocky.edge.sync.apply).
# entity_id is the caja's key: the product id for both products and inventory.
SCHEMA_V2_PULL_DEFERRED: Final = """
CREATE TABLE pull_deferred (
    entity      TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    position    TEXT NOT NULL,
    data        TEXT NOT NULL CHECK (json_valid(data)),
    deferred_at TEXT NOT NULL,
    PRIMARY KEY (entity, entity_id)
) STRICT;
"""

# Issue 12's parts each own one version, so they can land in any order. A version a part
# did not need stays a no-op that only moves user_version.
SCHEMA_V3_MONEY: Final = """
-- shifts and cash movements at the caja
CREATE TABLE cash_movements (
    id           TEXT PRIMARY KEY,
    shift_id     TEXT NOT NULL REFERENCES shifts (id),
    type         TEXT NOT NULL CHECK (type IN ('in', 'out')),
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    reason       TEXT NOT NULL CHECK (length(trim(reason)) > 0),
    user_id      TEXT NOT NULL,
    client_ts    TEXT NOT NULL
) STRICT;
CREATE INDEX cash_movements_shift ON cash_movements (shift_id);
-- A refund row names its return (a split refund has one row per method) and the shift
-- whose drawer paid it; sale rows keep both NULL.
ALTER TABLE sale_payments ADD COLUMN return_id TEXT;
ALTER TABLE sale_payments ADD COLUMN shift_id TEXT REFERENCES shifts (id);
UPDATE sale_payments SET return_id = id WHERE amount_cents < 0;
CREATE INDEX sale_payments_return ON sale_payments (return_id) WHERE return_id IS NOT NULL;
CREATE INDEX sale_payments_shift ON sale_payments (shift_id) WHERE shift_id IS NOT NULL;
"""
SCHEMA_V4_COUNTER: Final = """
-- the counter: the open cart (survives a reload or a crashed tab) and parked sales
CREATE TABLE held_carts (
    id         TEXT PRIMARY KEY,
    status     TEXT NOT NULL CHECK (status IN ('open', 'parked')),
    user_id    TEXT,
    lines      TEXT NOT NULL CHECK (json_valid(lines)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX held_carts_one_open ON held_carts (status) WHERE status = 'open';
"""
SCHEMA_V5_RECEIPTS: Final = """
-- receipts: the caja's receipt prefix (C01: stocky.core.receipts), given by the cloud at
-- activation; a caja activated before this learns it from its next ping answer. Each sale
-- keeps the prefix it was printed with (NULL: printed before the caja had one).
ALTER TABLE sede_info ADD COLUMN receipt_prefix TEXT
    CHECK (receipt_prefix IS NULL OR (length(receipt_prefix) BETWEEN 1 AND 8
        AND receipt_prefix NOT GLOB '*[^A-Z0-9]*'));
ALTER TABLE sales ADD COLUMN receipt_prefix TEXT;
CREATE INDEX sales_receipt ON sales (receipt_prefix, number);
"""

SCHEMA_V6_SALE_DETAILS: Final = """
-- sale details (issue 12 items 9, 12): the customer on the receipt (optional), the manager
-- who approved a discount above the policy's limit, and the tax per rate as sold (JSON
-- [{rate, base_cents, tax_cents}]), so a reprint reads the same after a rate changes.
ALTER TABLE sales ADD COLUMN customer_name TEXT;
ALTER TABLE sales ADD COLUMN customer_tax_id TEXT;
ALTER TABLE sales ADD COLUMN discount_approved_by TEXT;
ALTER TABLE sales ADD COLUMN taxes TEXT;
-- The business's legal name, tax id and address for the receipt (JSON), from the tenant's
-- settings in the activation answer.
ALTER TABLE sede_info ADD COLUMN business TEXT;
"""

SCHEMA_V7_CUSTOMERS: Final = """
-- customers (issue 12 item 12): the tenant's customers, pulled from the cloud (read-only
-- here), searched at payment by name or NIT/CC. A deactivated or deleted one stays out of
-- the search; sales keep the name and tax id they were printed with.
CREATE TABLE customers (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    tax_id     TEXT,
    email      TEXT,
    phone      TEXT,
    active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    version    INTEGER NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL,
    synced_at  TEXT NOT NULL
) STRICT;
CREATE INDEX customers_name ON customers (name COLLATE NOCASE) WHERE active = 1;
CREATE INDEX customers_tax_id ON customers (tax_id) WHERE active = 1;
"""

SCHEMA_V8_SALES_ELSEWHERE: Final = """
-- sales of other cajas (issue 12 item 6): a ticket sold at another caja of the sede is
-- fetched from the cloud to take it back here (origin 'cloud', with its device). Receipt
-- numbers are unique per caja, not per file, so `number` loses its UNIQUE (kept for this
-- caja's own sales by an index). SQLite cannot drop a constraint: both tables are rebuilt;
-- sale_payments first, since dropping `sales` with foreign keys on would cascade into it.
CREATE TABLE sales_v8 (
    id             TEXT PRIMARY KEY,
    number         INTEGER NOT NULL CHECK (number > 0),
    user_id        TEXT NOT NULL,
    shift_id       TEXT REFERENCES shifts (id),
    subtotal_cents INTEGER NOT NULL,
    discount_cents INTEGER NOT NULL DEFAULT 0,
    tax_cents      INTEGER NOT NULL DEFAULT 0,
    total_cents    INTEGER NOT NULL,
    paid_cents     INTEGER NOT NULL,
    change_cents   INTEGER NOT NULL DEFAULT 0 CHECK (change_cents >= 0),
    client_ts      TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'completed'
                   CHECK (status IN ('completed', 'partially_returned', 'returned', 'voided')),
    receipt_prefix TEXT,
    customer_name  TEXT,
    customer_tax_id TEXT,
    discount_approved_by TEXT,
    taxes          TEXT,
    origin         TEXT NOT NULL DEFAULT 'local' CHECK (origin IN ('local', 'cloud')),
    device_id      TEXT,
    CHECK ((origin = 'local') = (device_id IS NULL))
) STRICT;
INSERT INTO sales_v8 (id, number, user_id, shift_id, subtotal_cents, discount_cents, tax_cents,
    total_cents, paid_cents, change_cents, client_ts, status, receipt_prefix, customer_name,
    customer_tax_id, discount_approved_by, taxes)
SELECT id, number, user_id, shift_id, subtotal_cents, discount_cents, tax_cents, total_cents,
    paid_cents, change_cents, client_ts, status, receipt_prefix, customer_name,
    customer_tax_id, discount_approved_by, taxes FROM sales;
CREATE TABLE sale_payments_v8 (
    id           TEXT PRIMARY KEY,
    sale_id      TEXT NOT NULL REFERENCES sales_v8 (id) ON DELETE CASCADE,
    method       TEXT NOT NULL CHECK (method IN ('cash', 'card', 'transfer')),
    amount_cents INTEGER NOT NULL,
    return_id    TEXT,
    shift_id     TEXT REFERENCES shifts (id)
) STRICT;
INSERT INTO sale_payments_v8 (id, sale_id, method, amount_cents, return_id, shift_id)
SELECT id, sale_id, method, amount_cents, return_id, shift_id FROM sale_payments;
DROP TABLE sale_payments;
DROP TABLE sales;
ALTER TABLE sales_v8 RENAME TO sales;
ALTER TABLE sale_payments_v8 RENAME TO sale_payments;
CREATE UNIQUE INDEX sales_number ON sales (number) WHERE origin = 'local';
CREATE INDEX sales_shift ON sales (shift_id);
CREATE INDEX sales_client_ts ON sales (client_ts);
CREATE INDEX sales_receipt ON sales (receipt_prefix, number);
CREATE INDEX sale_payments_sale ON sale_payments (sale_id);
CREATE INDEX sale_payments_return ON sale_payments (return_id) WHERE return_id IS NOT NULL;
CREATE INDEX sale_payments_shift ON sale_payments (shift_id) WHERE shift_id IS NOT NULL;
"""

SCHEMA_V9_APPROVAL_PIN: Final = """
-- a manager's approval PIN (issue 12): the argon2 hash pulled with the user (NULL: none set);
-- and the ticket's own discount kept with the cart (JSON {"amount": "5.00"} or
-- {"percent": "10.00"}, NULL: none), so parking or a reload keeps it.
ALTER TABLE users ADD COLUMN pin_hash TEXT;
ALTER TABLE held_carts ADD COLUMN discount TEXT CHECK (discount IS NULL OR json_valid(discount));
"""

SCHEMA_V10_TRANSFERS: Final = """
-- transfers between sedes (issue 15): the cloud's requests and their fate, pulled by the
-- cajas of both sedes (read-only here; only the cloud decides and moves the stock, which
-- arrives as ordinary transfer_out / transfer_in movements). No foreign keys: a line may
-- name a product or a transfer a page has not brought yet.
CREATE TABLE transfers (
    id             TEXT PRIMARY KEY,
    from_sede_id   TEXT NOT NULL,
    to_sede_id     TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN (
                       'pending', 'processing', 'completed', 'failed', 'rejected', 'cancelled')),
    note           TEXT,
    reason         TEXT,
    failure_reason TEXT,
    -- insufficient_stock (with shortages: JSON [{product_id, sku, name, available,
    -- requested}]) or job_error: the screen says it in its own language.
    failure_code   TEXT,
    shortages      TEXT,
    requested_by   TEXT,
    -- The names as the cloud recorded them: a caja holds only its own sede's users.
    requested_by_name TEXT,
    requested_at   TEXT NOT NULL,
    decided_by     TEXT,
    decided_by_name TEXT,
    decided_at     TEXT,
    completed_at   TEXT,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    synced_at      TEXT NOT NULL
) STRICT;
CREATE INDEX transfers_requested ON transfers (requested_at, id);
CREATE TABLE transfer_lines (
    id             TEXT PRIMARY KEY,
    transfer_id    TEXT NOT NULL,
    product_id     TEXT NOT NULL,
    quantity_milli INTEGER NOT NULL CHECK (quantity_milli > 0)
) STRICT;
CREATE INDEX transfer_lines_transfer ON transfer_lines (transfer_id);
-- What the screens announce (a toast at the caja): a pulled transfer that is new or whose
-- status changed. Written by the pull in the same write; the screens read past a seq.
CREATE TABLE transfer_notices (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    transfer_id TEXT NOT NULL,
    status      TEXT NOT NULL,
    noticed_at  TEXT NOT NULL
) STRICT;
-- The transfer a transfer_out / transfer_in movement belongs to (the cloud's column), so a
-- transfer lists what it moved here. Not among the append-only trigger's columns: the
-- pull may fill it on a movement already held.
ALTER TABLE transactions ADD COLUMN transfer_id TEXT;
UPDATE transactions SET transfer_id = document_id
    WHERE type IN ('transfer_out', 'transfer_in');
CREATE INDEX transactions_transfer ON transactions (transfer_id) WHERE transfer_id IS NOT NULL;
"""

SCHEMA_V11_LAN: Final = """
-- LAN sync between the cajas of one sede (issue 16, ARCHITECTURE §5).
-- The sede's cajas as the cloud's devices feed brings them: who may join the LAN (an
-- active caja of this sede; a revoked one is refused at the handshake) and in which order
-- they take over as master (lan_rank: 1 is first in line; default the activation order).
CREATE TABLE sede_devices (
    device_id   TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    caja_number INTEGER,
    lan_rank    INTEGER NOT NULL,
    status      TEXT NOT NULL,
    revoked_at  TEXT,
    updated_at  TEXT NOT NULL
) STRICT;
-- An op another caja of the sede recorded and this caja, as master, holds in its outbox
-- for the cloud (NULL: this caja's own op).
ALTER TABLE sync_queue ADD COLUMN origin_device_id TEXT;
-- A slave's own op handed to the master of this epoch (kept pending until the master
-- reports the cloud's answer; sent again to a master of any other epoch).
ALTER TABLE sync_queue ADD COLUMN lan_relayed_epoch INTEGER;
"""

SCHEMA_V12_PRODUCT_IMAGES: Final = """
-- The object key of the product's uploaded image, as the cloud's feed sends it: the caja
-- keeps a copy of the image under <data_dir>/images/<key> (stocky.edge.images), shown offline.
ALTER TABLE products ADD COLUMN image_key TEXT;
"""

MIGRATIONS: Final[tuple[str, ...]] = (
    SCHEMA_V1,
    SCHEMA_V2_PULL_DEFERRED,
    SCHEMA_V3_MONEY,
    SCHEMA_V4_COUNTER,
    SCHEMA_V5_RECEIPTS,
    SCHEMA_V6_SALE_DETAILS,
    SCHEMA_V7_CUSTOMERS,
    SCHEMA_V8_SALES_ELSEWHERE,
    SCHEMA_V9_APPROVAL_PIN,
    SCHEMA_V10_TRANSFERS,
    SCHEMA_V11_LAN,
    SCHEMA_V12_PRODUCT_IMAGES,
)
