-- The newest release's race/ethnicity groups: labels, parents and group sets for every group_id.
create or replace view latest_groups as
select g.*
from groups as g
where g.release_id = (select release_id from releases where is_latest)
