-- Customer search (issue #11, R-CS-8): the indexes each filter of `/customers` needs, so no
-- filter scans the orders table. Already there from 0007: customers (email), (phone),
-- (LOWER(last_name), LOWER(first_name)); payment_methods (last4, customer_id); orders
-- (customer_id, id) and (created_at, id).

-- "Card last 4": the orders paid with the customer's cards ending in those digits.
CREATE INDEX orders_payment_method_idx ON orders (payment_method_id, id);

-- "First name" on its own, by prefix (the last-name index serves last name and both).
CREATE INDEX customers_first_name_idx ON customers (LOWER(first_name));

-- "Phone" by its digits, however it was typed on the order ("+1 (555) 010-7788").
-- The expression must stay identical to `PHONE_DIGITS` in src/db/customers.rs.
CREATE INDEX customers_phone_digits_idx ON customers (
    replace(replace(replace(replace(replace(replace(phone, ' ', ''), '-', ''), '(', ''), ')', ''), '.', ''), '+', ''));
