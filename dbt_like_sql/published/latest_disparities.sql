-- The newest release's disparity measures.
create or replace view latest_disparities as
select d.*
from disparities as d
where d.release_id = (select release_id from releases where is_latest)
