-- The operational database of a small shop: what `stream-engine extract` reads.
CREATE TABLE IF NOT EXISTS customers (
    customer_id integer PRIMARY KEY,
    name        text NOT NULL,
    segment     text NOT NULL,
    city        text NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
    order_id    integer PRIMARY KEY,
    customer_id integer NOT NULL,
    amount      numeric(10, 2) NOT NULL,
    status      text NOT NULL,
    ordered_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS customers_cursor ON customers (updated_at, customer_id);
CREATE INDEX IF NOT EXISTS orders_cursor ON orders (updated_at, order_id);
