-- Exercise queries for the shop database (MySQL 8 / MariaDB 10.6+).
-- Each query follows a line naming it (exercise, colon, name); the tests run every one on freshly loaded data.

-- exercise: rfm_segments
-- RFM 模型: recency, frequency, monetary per paying customer, scored 1-5 by quintile,
-- then the eight classic segments (重要价值客户 … 一般挽留客户).
WITH rfm AS (
  SELECT customer_id,
         DATEDIFF('2026-01-01', MAX(order_time)) AS recency_days,
         COUNT(*) AS frequency,
         SUM(pay_amount) AS monetary
  FROM orders WHERE status = 'paid' GROUP BY customer_id
), scored AS (
  SELECT customer_id,
         6 - NTILE(5) OVER (ORDER BY recency_days) AS r,
         NTILE(5) OVER (ORDER BY frequency) AS f,
         NTILE(5) OVER (ORDER BY monetary) AS m
  FROM rfm
)
SELECT CASE
         WHEN r >= 3 AND f >= 3 AND m >= 3 THEN '重要价值客户'
         WHEN r <  3 AND f >= 3 AND m >= 3 THEN '重要保持客户'
         WHEN r >= 3 AND f <  3 AND m >= 3 THEN '重要发展客户'
         WHEN r <  3 AND f <  3 AND m >= 3 THEN '重要挽留客户'
         WHEN r >= 3 AND f >= 3 AND m <  3 THEN '一般价值客户'
         WHEN r <  3 AND f >= 3 AND m <  3 THEN '一般保持客户'
         WHEN r >= 3 AND f <  3 AND m <  3 THEN '一般发展客户'
         ELSE '一般挽留客户' END AS segment,
       COUNT(*) AS customers
FROM scored GROUP BY segment ORDER BY customers DESC;

-- exercise: sales_share_by_category
-- 销售结构: revenue and share per top-level category.
SELECT top.name AS category, SUM(i.line_amount) AS revenue,
       ROUND(100 * SUM(i.line_amount) / SUM(SUM(i.line_amount)) OVER (), 2) AS share_pct
FROM order_items i
JOIN orders o ON o.order_id = i.order_id AND o.status = 'paid'
JOIN products p ON p.product_id = i.product_id
JOIN categories sub ON sub.category_id = p.category_id
JOIN categories top ON top.category_id = sub.parent_id
GROUP BY top.name ORDER BY revenue DESC;

-- exercise: sales_by_region
-- 区域销售: revenue, orders and share per province.
SELECT province, COUNT(*) AS orders, SUM(pay_amount) AS revenue,
       ROUND(100 * SUM(pay_amount) / SUM(SUM(pay_amount)) OVER (), 2) AS share_pct
FROM orders WHERE status = 'paid' GROUP BY province ORDER BY revenue DESC;

-- exercise: sales_by_channel
-- 渠道结构: revenue, average order value and share per channel.
SELECT channel, COUNT(*) AS orders, ROUND(AVG(pay_amount), 2) AS avg_order_value,
       ROUND(100 * SUM(pay_amount) / SUM(SUM(pay_amount)) OVER (), 2) AS share_pct
FROM orders WHERE status = 'paid' GROUP BY channel ORDER BY share_pct DESC;

-- exercise: funnel_conversion
-- 转化漏斗: sessions reaching each step, and the rate from the first step.
WITH steps AS (
  SELECT 1 AS n, 'visit' AS step UNION ALL SELECT 2, 'detail' UNION ALL SELECT 3, 'cart'
  UNION ALL SELECT 4, 'order' UNION ALL SELECT 5, 'pay'
), reached AS (
  SELECT s.step, s.n, COUNT(*) AS sessions
  FROM sessions v JOIN steps d ON d.step = v.funnel_step
  JOIN steps s ON s.n <= d.n
  GROUP BY s.step, s.n
)
SELECT step, sessions, ROUND(100 * sessions / MAX(sessions) OVER (), 2) AS rate_pct
FROM reached ORDER BY n;

-- exercise: keyword_roi
-- 搜索推广: 展现量, 点击量, 点击率, 平均点击单价, 转化率 and ROI per keyword.
SELECT k.keyword, SUM(d.impressions) AS impressions, SUM(d.clicks) AS clicks,
       ROUND(100 * SUM(d.clicks) / NULLIF(SUM(d.impressions), 0), 2) AS ctr_pct,
       ROUND(SUM(d.cost) / NULLIF(SUM(d.clicks), 0), 2) AS avg_cpc,
       ROUND(100 * SUM(d.conversions) / NULLIF(SUM(d.clicks), 0), 2) AS cvr_pct,
       ROUND(SUM(d.revenue) / NULLIF(SUM(d.cost), 0), 2) AS roi
FROM keyword_daily d JOIN keywords k ON k.keyword_id = d.keyword_id
GROUP BY k.keyword_id, k.keyword HAVING SUM(d.cost) > 0
ORDER BY roi DESC;

-- exercise: repurchase_rate
-- 复购率: share of paying customers with two or more paid orders.
SELECT COUNT(*) AS buyers, SUM(n >= 2) AS repeat_buyers,
       ROUND(100 * SUM(n >= 2) / COUNT(*), 2) AS repurchase_pct
FROM (SELECT customer_id, COUNT(*) AS n FROM orders WHERE status = 'paid' GROUP BY customer_id) t;

-- exercise: return_rate_by_reason
-- 售后分析: after-sales requests per reason, as a share of paid order lines.
SELECT a.reason, COUNT(*) AS requests,
       ROUND(100 * COUNT(*) / (SELECT COUNT(*) FROM order_items i
                               JOIN orders o ON o.order_id = i.order_id AND o.status = 'paid'), 3) AS rate_pct
FROM after_sales a GROUP BY a.reason ORDER BY requests DESC;
