-- +goose Up
-- The tenant's product catalogue (issue 11): the seed's product shape without
-- the machine, because validation rules ({field: "product", value: <PLU>})
-- and order items (productId) name PLUs, not machines. The catalogue lets a
-- manager find a PLU by name; a PLU is unique within its user group.
CREATE TABLE products (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_group  bigint NOT NULL REFERENCES user_groups (id),
    plu         bigint NOT NULL CHECK (plu > 0),
    name        text NOT NULL,
    report_name text NOT NULL DEFAULT '',
    price       bigint NOT NULL DEFAULT 0 CHECK (price >= 0),
    barcode     text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT products_plu UNIQUE (user_group, plu)
);

-- +goose Down
DROP TABLE products;
