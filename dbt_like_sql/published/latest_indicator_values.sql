-- The newest release's indicator values: what a dashboard should read unless it pins a release_id.
create or replace view latest_indicator_values as
select v.*
from indicator_values as v
where v.release_id = (select release_id from releases where is_latest)
