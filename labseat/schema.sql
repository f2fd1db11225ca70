-- The e-commerce data training system's shop database (电子商务数据实训系统 · 网店数据库).
-- Tables are listed parents first; docs/coursedata.md documents every column.

CREATE TABLE categories (
  category_id    INT PRIMARY KEY COMMENT '类目编号',
  name           VARCHAR(32) NOT NULL COMMENT '类目名称',
  parent_id      INT NULL COMMENT '上级类目',
  level          TINYINT NOT NULL COMMENT '层级 1=一级 2=二级',
  FOREIGN KEY (parent_id) REFERENCES categories (category_id)
) COMMENT '商品类目';

CREATE TABLE suppliers (
  supplier_id    INT PRIMARY KEY COMMENT '供应商编号',
  name           VARCHAR(64) NOT NULL COMMENT '供应商名称',
  province       VARCHAR(16) NOT NULL COMMENT '省份',
  city           VARCHAR(16) NOT NULL COMMENT '城市',
  lead_time_days INT NOT NULL COMMENT '采购周期(天)'
) COMMENT '供应商';

CREATE TABLE products (
  product_id     INT PRIMARY KEY COMMENT '商品编号',
  sku            VARCHAR(20) NOT NULL UNIQUE COMMENT 'SKU编码',
  name           VARCHAR(64) NOT NULL COMMENT '商品名称',
  category_id    INT NOT NULL COMMENT '二级类目',
  supplier_id    INT NOT NULL COMMENT '供应商',
  price          DECIMAL(10,2) NOT NULL COMMENT '售价',
  cost           DECIMAL(10,2) NOT NULL COMMENT '成本价',
  launch_date    DATE NOT NULL COMMENT '上架日期',
  status         VARCHAR(12) NOT NULL COMMENT '状态 on_sale/off_shelf',
  FOREIGN KEY (category_id) REFERENCES categories (category_id),
  FOREIGN KEY (supplier_id) REFERENCES suppliers (supplier_id)
) COMMENT '商品';

CREATE TABLE customers (
  customer_id    INT PRIMARY KEY COMMENT '客户编号',
  gender         CHAR(1) NOT NULL COMMENT '性别',
  age_band       VARCHAR(8) NOT NULL COMMENT '年龄段',
  province       VARCHAR(16) NOT NULL COMMENT '省份',
  city           VARCHAR(16) NOT NULL COMMENT '城市',
  member_level   VARCHAR(8) NOT NULL COMMENT '会员等级',
  signup_date    DATE NOT NULL COMMENT '注册日期',
  signup_channel VARCHAR(16) NOT NULL COMMENT '注册渠道',
  KEY idx_customers_region (province, city)
) COMMENT '客户';

CREATE TABLE promotions (
  promotion_id   INT PRIMARY KEY COMMENT '活动编号',
  name           VARCHAR(32) NOT NULL COMMENT '活动名称',
  type           VARCHAR(16) NOT NULL COMMENT '类型 满减/折扣/优惠券/秒杀',
  start_time     DATETIME NOT NULL COMMENT '开始时间',
  end_time       DATETIME NOT NULL COMMENT '结束时间',
  discount_rate  DECIMAL(4,2) NOT NULL COMMENT '折扣率'
) COMMENT '促销活动';

CREATE TABLE coupons (
  coupon_id      INT PRIMARY KEY COMMENT '优惠券编号',
  promotion_id   INT NOT NULL COMMENT '所属活动',
  threshold      DECIMAL(10,2) NOT NULL COMMENT '使用门槛(满)',
  amount         DECIMAL(10,2) NOT NULL COMMENT '面额(减)',
  issued         INT NOT NULL COMMENT '发放量',
  used           INT NOT NULL COMMENT '使用量',
  FOREIGN KEY (promotion_id) REFERENCES promotions (promotion_id)
) COMMENT '优惠券';

CREATE TABLE keywords (
  keyword_id     INT PRIMARY KEY COMMENT '关键词编号',
  keyword        VARCHAR(64) NOT NULL COMMENT '关键词',
  category_id    INT NOT NULL COMMENT '一级类目',
  match_type     VARCHAR(8) NOT NULL COMMENT '匹配方式 exact/phrase/broad',
  bid            DECIMAL(6,2) NOT NULL COMMENT '出价(元)',
  quality_score  TINYINT NOT NULL COMMENT '质量分',
  FOREIGN KEY (category_id) REFERENCES categories (category_id)
) COMMENT '搜索推广关键词';

CREATE TABLE orders (
  order_id       INT PRIMARY KEY COMMENT '订单编号',
  customer_id    INT NOT NULL COMMENT '客户',
  order_time     DATETIME NOT NULL COMMENT '下单时间',
  channel        VARCHAR(16) NOT NULL COMMENT '渠道 search/recommendation/promotion/live_stream/social',
  device         VARCHAR(16) NOT NULL COMMENT '终端',
  province       VARCHAR(16) NOT NULL COMMENT '收货省份',
  city           VARCHAR(16) NOT NULL COMMENT '收货城市',
  status         VARCHAR(12) NOT NULL COMMENT '状态 paid/unpaid/cancelled',
  promotion_id   INT NULL COMMENT '参与活动',
  coupon_id      INT NULL COMMENT '使用优惠券',
  goods_amount   DECIMAL(12,2) NOT NULL COMMENT '商品金额',
  discount_amount DECIMAL(12,2) NOT NULL COMMENT '优惠金额',
  shipping_fee   DECIMAL(8,2) NOT NULL COMMENT '运费',
  pay_amount     DECIMAL(12,2) NOT NULL COMMENT '应付金额',
  KEY idx_orders_time (order_time),
  KEY idx_orders_customer (customer_id, order_time),
  FOREIGN KEY (customer_id) REFERENCES customers (customer_id),
  FOREIGN KEY (promotion_id) REFERENCES promotions (promotion_id),
  FOREIGN KEY (coupon_id) REFERENCES coupons (coupon_id)
) COMMENT '订单';

CREATE TABLE order_items (
  order_id       INT NOT NULL COMMENT '订单',
  line_no        TINYINT NOT NULL COMMENT '行号',
  product_id     INT NOT NULL COMMENT '商品',
  quantity       INT NOT NULL COMMENT '数量',
  unit_price     DECIMAL(10,2) NOT NULL COMMENT '单价',
  line_amount    DECIMAL(12,2) NOT NULL COMMENT '金额',
  PRIMARY KEY (order_id, line_no),
  KEY idx_items_product (product_id),
  FOREIGN KEY (order_id) REFERENCES orders (order_id),
  FOREIGN KEY (product_id) REFERENCES products (product_id)
) COMMENT '订单明细';

CREATE TABLE payments (
  payment_id     INT PRIMARY KEY COMMENT '支付编号',
  order_id       INT NOT NULL UNIQUE COMMENT '订单',
  method         VARCHAR(8) NOT NULL COMMENT '支付方式',
  amount         DECIMAL(12,2) NOT NULL COMMENT '支付金额',
  paid_time      DATETIME NOT NULL COMMENT '支付时间',
  FOREIGN KEY (order_id) REFERENCES orders (order_id)
) COMMENT '支付';

CREATE TABLE shipments (
  shipment_id    INT PRIMARY KEY COMMENT '物流单号',
  order_id       INT NOT NULL UNIQUE COMMENT '订单',
  carrier        VARCHAR(8) NOT NULL COMMENT '快递公司',
  warehouse_province VARCHAR(16) NOT NULL COMMENT '发货仓省份',
  province       VARCHAR(16) NOT NULL COMMENT '目的省份',
  city           VARCHAR(16) NOT NULL COMMENT '目的城市',
  shipped_time   DATETIME NOT NULL COMMENT '发货时间',
  delivered_time DATETIME NULL COMMENT '签收时间',
  shipping_cost  DECIMAL(8,2) NOT NULL COMMENT '物流成本',
  FOREIGN KEY (order_id) REFERENCES orders (order_id)
) COMMENT '物流';

CREATE TABLE after_sales (
  after_sale_id  INT PRIMARY KEY COMMENT '售后单号',
  order_id       INT NOT NULL COMMENT '订单',
  product_id     INT NOT NULL COMMENT '商品',
  type           VARCHAR(16) NOT NULL COMMENT '类型 return_refund/exchange/refund_only',
  reason         VARCHAR(16) NOT NULL COMMENT '原因',
  request_time   DATETIME NOT NULL COMMENT '申请时间',
  refund_amount  DECIMAL(12,2) NOT NULL COMMENT '退款金额',
  status         VARCHAR(12) NOT NULL COMMENT '状态',
  FOREIGN KEY (order_id) REFERENCES orders (order_id),
  FOREIGN KEY (product_id) REFERENCES products (product_id)
) COMMENT '售后';

CREATE TABLE sessions (
  session_id     INT PRIMARY KEY COMMENT '访问编号',
  customer_id    INT NULL COMMENT '客户(未登录为空)',
  start_time     DATETIME NOT NULL COMMENT '访问时间',
  source         VARCHAR(16) NOT NULL COMMENT '流量来源',
  keyword_id     INT NULL COMMENT '搜索关键词',
  device         VARCHAR(16) NOT NULL COMMENT '终端',
  product_id     INT NOT NULL COMMENT '浏览商品',
  funnel_step    VARCHAR(8) NOT NULL COMMENT '最深环节 visit/detail/cart/order/pay',
  order_id       INT NULL COMMENT '成交订单',
  KEY idx_sessions_time (start_time),
  FOREIGN KEY (customer_id) REFERENCES customers (customer_id),
  FOREIGN KEY (keyword_id) REFERENCES keywords (keyword_id),
  FOREIGN KEY (product_id) REFERENCES products (product_id),
  FOREIGN KEY (order_id) REFERENCES orders (order_id)
) COMMENT '流量访问';

CREATE TABLE keyword_daily (
  report_date    DATE NOT NULL COMMENT '日期',
  keyword_id     INT NOT NULL COMMENT '关键词',
  impressions    INT NOT NULL COMMENT '展现量',
  clicks         INT NOT NULL COMMENT '点击量',
  cost           DECIMAL(12,2) NOT NULL COMMENT '花费',
  conversions    INT NOT NULL COMMENT '成交笔数',
  revenue        DECIMAL(12,2) NOT NULL COMMENT '成交金额',
  PRIMARY KEY (report_date, keyword_id),
  FOREIGN KEY (keyword_id) REFERENCES keywords (keyword_id)
) COMMENT '搜索推广日报';

CREATE TABLE purchase_orders (
  po_id          INT PRIMARY KEY COMMENT '采购单号',
  supplier_id    INT NOT NULL COMMENT '供应商',
  product_id     INT NOT NULL COMMENT '商品',
  quantity       INT NOT NULL COMMENT '采购数量',
  unit_cost      DECIMAL(10,2) NOT NULL COMMENT '采购单价',
  order_date     DATE NOT NULL COMMENT '下单日期',
  received_date  DATE NOT NULL COMMENT '到货日期',
  FOREIGN KEY (supplier_id) REFERENCES suppliers (supplier_id),
  FOREIGN KEY (product_id) REFERENCES products (product_id)
) COMMENT '采购';

CREATE TABLE stock_levels (
  product_id     INT NOT NULL COMMENT '商品',
  snapshot_date  DATE NOT NULL COMMENT '盘点日期(月初)',
  on_hand        INT NOT NULL COMMENT '库存',
  in_transit     INT NOT NULL COMMENT '在途',
  sold_last_month INT NOT NULL COMMENT '当月销量',
  PRIMARY KEY (product_id, snapshot_date),
  FOREIGN KEY (product_id) REFERENCES products (product_id)
) COMMENT '库存';
