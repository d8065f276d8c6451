-- The leaderboard of kpi.metrics.leaderboard.build_leaderboard, in DuckDB SQL: the reference for the benchmark.
-- Inputs (views over files that benchmarks/jobs.py defines; DuckDB reads them itself): progress(period, region, indicator_id, value), targets(year, region,
-- indicator_id, target, comparator), regions(region, region_order), indicators(indicator_id, i_order, kind,
-- sums_to_county, higher_is_better, weight, pacing_profile), profiles(profile, month, time_share), periods(period).
WITH grid AS (
    SELECT p.period, CAST(substr(p.period, 1, 4) AS INTEGER) AS year, CAST(substr(p.period, 6, 2) AS INTEGER) AS month,
           r.region, r.region_order, i.*
    FROM periods p CROSS JOIN regions r CROSS JOIN indicators i
),
joined AS (
    SELECT g.*, t.target, t.comparator, pr.value AS reported
    FROM grid g
    LEFT JOIN targets t ON t.year = g.year AND t.region = g.region AND t.indicator_id = g.indicator_id
    LEFT JOIN progress pr ON pr.period = g.period AND pr.region = g.region AND pr.indicator_id = g.indicator_id
),
region_sums AS (
    SELECT period, indicator_id, SUM(reported) AS total, COUNT(reported) AS n
    FROM joined WHERE region <> '全县' GROUP BY period, indicator_id
),
valued AS (
    SELECT j.*,
           CASE WHEN j.region = '全县' AND j.reported IS NULL AND j.sums_to_county
                     AND s.n = (SELECT COUNT(*) - 1 FROM regions) THEN s.total ELSE j.reported END AS actual
    FROM joined j LEFT JOIN region_sums s ON s.period = j.period AND s.indicator_id = j.indicator_id
),
rated AS (
    SELECT v.*,
           CASE WHEN v.target = 0 THEN CASE WHEN v.actual IS NULL THEN NULL ELSE 1.0 END
                WHEN v.higher_is_better THEN v.actual / v.target ELSE v.target / v.actual END AS completion_rate,
           CASE WHEN v.kind = 'growth' THEN NULL
                WHEN v.pacing_profile = 'linear' THEN v.month / 12.0 ELSE pf.time_share END AS time_share
    FROM valued v LEFT JOIN profiles pf ON pf.profile = v.pacing_profile AND pf.month = v.month
),
statused AS (
    SELECT *,
           CASE WHEN kind = 'growth' THEN
                    CASE WHEN actual IS NULL THEN '未报送'
                         WHEN (comparator = '>' AND actual > target) OR (comparator = '<' AND actual < target)
                           OR (comparator = '<=' AND actual <= target)
                           OR (comparator NOT IN ('>', '<', '<=') AND actual >= target) THEN '达标' ELSE '未达标' END
                WHEN completion_rate IS NULL THEN '未报送'
                WHEN time_share <= 0 THEN '未到序时'
                WHEN completion_rate >= time_share - 1e-12 THEN '超序时'
                WHEN completion_rate >= time_share - 0.05 - 1e-12 THEN '基本序时' ELSE '滞后' END AS status,
           CASE WHEN kind = 'growth' THEN actual * CASE WHEN higher_is_better THEN 1 ELSE -1 END
                WHEN time_share <= 0 AND completion_rate = 0 THEN NULL
                ELSE completion_rate END AS rank_key
    FROM rated
),
ranked AS (
    SELECT *, CASE WHEN region <> '全县' AND rank_key IS NOT NULL
                   THEN RANK() OVER (PARTITION BY period, indicator_id, (region <> '全县' AND rank_key IS NOT NULL)
                                     ORDER BY round(rank_key, 9) DESC) END AS rank
    FROM statused
),
composite AS (
    SELECT period, region, region_order,
           CASE WHEN COUNT(completion_rate) = COUNT(*) THEN SUM(LEAST(GREATEST(completion_rate, 0), 1.5) * weight) / SUM(weight) END AS completion_rate,
           SUM(COALESCE(time_share, 1.0) * weight) / SUM(weight) AS time_share
    FROM ranked GROUP BY period, region, region_order
),
composite_ranked AS (
    SELECT *, CASE WHEN completion_rate IS NULL THEN '未报送'
                   WHEN time_share <= 0 THEN '未到序时'
                   WHEN completion_rate >= time_share - 1e-12 THEN '超序时'
                   WHEN completion_rate >= time_share - 0.05 - 1e-12 THEN '基本序时' ELSE '滞后' END AS status,
              CASE WHEN region <> '全县' AND completion_rate IS NOT NULL
                   THEN RANK() OVER (PARTITION BY period, (region <> '全县' AND completion_rate IS NOT NULL)
                                     ORDER BY round(completion_rate, 9) DESC) END AS rank
    FROM composite
)
SELECT period, region, indicator_id, target, comparator, actual, completion_rate,
       CASE WHEN kind = 'growth' THEN NULL ELSE time_share END AS time_share, status, rank, region_order, i_order
FROM ranked
UNION ALL
SELECT period, region, 'composite', NULL, '', NULL, completion_rate, time_share, status, rank, region_order, 99
FROM composite_ranked
ORDER BY period, region_order, i_order
