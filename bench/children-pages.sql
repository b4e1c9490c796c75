-- The statement that reads a nested page (`orders(first: 5)`) for a page of
-- 25 customers, in its two forms, on customers with about 205 orders each:
-- the rows of every parent numbered by a window (SQLite's form, and
-- PostgreSQL's before the lateral form) against a lateral subquery per
-- parent that stops after 6 rows. Runs on the peer harness's crm_ours
-- database (bench/peer.sh) and changes nothing (rolled back):
--
--   psql -X postgres://postgres@127.0.0.1:55432/crm_ours -f bench/children-pages.sql | grep 'Execution Time'
begin;
create temp table first25 as
  select id from customers where tenant_id = 'tenant-01' order by created_at, id limit 25;
insert into orders (tenant_id, id, customer_id, external_id, amount_cents, currency, status, placed_at, created_at, updated_at)
select 'tenant-01', md5(f.id || 'x' || g), f.id, 'x-' || f.id || '-' || g, 100, 'USD', 'PAID',
       now() - g * interval '1 hour', now(), now()
from first25 f, generate_series(1, 200) g;
analyze orders;
-- Numbered by a window over every order of the 25.
explain (analyze, timing off)
select * from (
  select orders.*, row_number() over (partition by orders.customer_id order by orders.placed_at desc, orders.id desc) as page_row
  from orders
  where orders.tenant_id = 'tenant-01' and orders.customer_id in (select id from first25)
) as paged where page_row <= 6 order by page_row;
-- A lateral subquery per customer.
explain (analyze, timing off)
select page.* from (select id as column1 from first25) as parents
inner join lateral (
  select orders.*, row_number() over (order by orders.placed_at desc, orders.id desc) as page_row
  from orders
  where orders.tenant_id = 'tenant-01' and orders.customer_id = parents.column1
  order by orders.placed_at desc, orders.id desc limit 6
) as page on true
order by page.page_row;
rollback;
