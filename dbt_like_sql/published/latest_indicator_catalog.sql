-- The newest release's indicator catalog.
create or replace view latest_indicator_catalog as
select c.*
from indicator_catalog as c
where c.release_id = (select release_id from releases where is_latest)
