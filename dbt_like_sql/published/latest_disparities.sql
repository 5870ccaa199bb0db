-- The newest release's disparity measures.
create or replace view latest_disparities as
select d.*
from disparities as d
where d.release_id = (select release_id from releases order by created_at desc, release_id desc limit 1)
