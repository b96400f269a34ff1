//! The demo shop database: a small, realistic and deterministic SQLite database for the
//! quick start, the examples and the tests.
//!
//! [`create_demo_database`] writes the same content on every run (a fixed seed drives a
//! small PRNG written here; no external data):
//!
//! | table         | rows  | notes |
//! |---------------|-------|-------|
//! | `categories`  | 8     | |
//! | `products`    | 120   | `category_id` → categories; `unit_price` in euros as REAL, rounded to cents |
//! | `customers`   | 500   | `country`, `city`, unique `email`, `created_at` (`YYYY-MM-DD HH:MM:SS`) |
//! | `employees`   | 15    | `manager_id` → employees (the CEO has none) |
//! | `orders`      | 2,000 | `customer_id`, `employee_id`; `order_date` in 2024-01-01..2025-12-31; `required_date` (promised) and `shipped_date` (sometimes later: late shipments); `status` pending/shipped/delivered/cancelled; `carrier` |
//! | `order_items` | 6,061 | composite key (`order_id`, `product_id`); `quantity`, `unit_price`, `discount` |
//!
//! plus indexes on the foreign keys and dates, and the view `order_totals` (one row per
//! order with its item count and total after discount, unrounded so that sums over it
//! equal sums over `order_items`).
//!
//! ```no_run
//! let summary = dbqa_schema::demo::create_demo_database(std::path::Path::new("target/demo/shop.db"))?;
//! println!("{summary}");
//! # Ok::<(), dbqa_schema::Error>(())
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, params};

use crate::{Error, Result};

/// The demo shop's business terms, in the `SCHEMA_GLOSSARY` file format (`term =
/// table[.column] : description`): what "revenue", "spent" or "late" mean in this schema.
/// The command line writes it next to the demo database and uses it there.
pub const DEMO_GLOSSARY: &str = include_str!("../data/demo-shop.glossary");

/// The seed of the demo data; changing it changes every row.
const SEED: u64 = 0x00DB_0A5E_ED00_2024;

/// Dates are generated relative to this last day (the data "ends" on 2025-12-31).
const LAST_DAY: (i64, u32, u32) = (2025, 12, 31);

/// What [`create_demo_database`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    /// The database file.
    pub path: PathBuf,
    /// Each table with its row count, in creation order.
    pub tables: Vec<(String, u64)>,
}

impl DemoSummary {
    /// All rows written.
    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(|(_, n)| n).sum()
    }
}

impl fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "demo database {}", self.path.display())?;
        for (table, rows) in &self.tables {
            writeln!(f, "  {table:<12} {rows:>6} rows")?;
        }
        write!(f, "  {:<12} {:>6} rows", "total", self.total_rows())
    }
}

/// Writes the demo shop database to `path` (replacing any file there), creating parent
/// directories. The content is identical on every run.
pub fn create_demo_database(path: &Path) -> Result<DemoSummary> {
    let fail = |message: String| Error::Demo {
        path: path.to_path_buf(),
        message,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| fail(e.to_string()))?;
    }
    // Build next to the target and rename, so a reader never sees a half-written file.
    // The process id keeps two writers of one path off each other's partial file.
    let partial = path.with_extension(format!("db.partial-{}", std::process::id()));
    let _ = std::fs::remove_file(&partial);
    let summary = write_all(&partial).map_err(|e| fail(e.to_string()))?;
    std::fs::rename(&partial, path).map_err(|e| fail(e.to_string()))?;
    Ok(DemoSummary {
        path: path.to_path_buf(),
        tables: summary,
    })
}

const SCHEMA: &str = "
CREATE TABLE categories (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT
);
CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    category_id INTEGER NOT NULL REFERENCES categories (id),
    unit_price REAL NOT NULL CHECK (unit_price > 0),
    units_in_stock INTEGER NOT NULL DEFAULT 0,
    discontinued INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    country TEXT NOT NULL,
    city TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE employees (
    id INTEGER PRIMARY KEY,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    title TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    hire_date TEXT NOT NULL,
    manager_id INTEGER REFERENCES employees (id)
);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    employee_id INTEGER NOT NULL REFERENCES employees (id),
    order_date TEXT NOT NULL,
    required_date TEXT NOT NULL,
    shipped_date TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'shipped', 'delivered', 'cancelled')),
    carrier TEXT,
    ship_country TEXT NOT NULL,
    ship_city TEXT NOT NULL
);
CREATE TABLE order_items (
    order_id INTEGER NOT NULL REFERENCES orders (id),
    product_id INTEGER NOT NULL REFERENCES products (id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    unit_price REAL NOT NULL,
    discount REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (order_id, product_id)
);
CREATE INDEX products_category ON products (category_id);
CREATE INDEX customers_location ON customers (country, city);
CREATE INDEX employees_manager ON employees (manager_id);
CREATE INDEX orders_customer ON orders (customer_id);
CREATE INDEX orders_employee ON orders (employee_id);
CREATE INDEX orders_date ON orders (order_date);
CREATE INDEX orders_status ON orders (status);
CREATE INDEX order_items_product ON order_items (product_id);
CREATE VIEW order_totals AS
    SELECT o.id AS order_id,
           o.customer_id,
           o.order_date,
           o.status,
           count(i.product_id) AS item_count,
           sum(i.quantity * i.unit_price * (1 - i.discount)) AS total
    FROM orders AS o
    JOIN order_items AS i ON i.order_id = o.id
    GROUP BY o.id;
";

const TABLES: [&str; 6] = [
    "categories",
    "products",
    "customers",
    "employees",
    "orders",
    "order_items",
];

fn write_all(path: &Path) -> rusqlite::Result<Vec<(String, u64)>> {
    let mut conn = Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA foreign_keys = ON;",
    )?;
    let tx = conn.transaction()?;
    tx.execute_batch(SCHEMA)?;
    let mut rng = Rng::new(SEED);
    insert_categories(&tx)?;
    let prices = insert_products(&tx, &mut rng)?;
    let customers = insert_customers(&tx, &mut rng)?;
    insert_employees(&tx, &mut rng)?;
    insert_orders(&tx, &mut rng, &customers, &prices)?;
    tx.commit()?;
    // Check what was written (foreign keys were enforced while inserting).
    let mut counts = Vec::new();
    for table in TABLES {
        let n: i64 = conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
        counts.push((table.to_string(), u64::try_from(n).unwrap_or(0)));
    }
    conn.execute_batch("VACUUM")?;
    Ok(counts)
}

const CATEGORIES: [(&str, &str, &[&str]); 8] = [
    (
        "Beverages",
        "Coffee, tea, juices and soft drinks",
        &[
            "Coffee Beans",
            "Green Tea",
            "Orange Juice",
            "Sparkling Water",
            "Cold Brew",
            "Chai Latte",
        ],
    ),
    (
        "Bakery",
        "Bread, pastries and cakes",
        &[
            "Sourdough Loaf",
            "Croissant",
            "Rye Bread",
            "Apple Pie",
            "Baguette",
            "Cinnamon Roll",
        ],
    ),
    (
        "Dairy",
        "Milk, cheese and yoghurt",
        &[
            "Gouda Cheese",
            "Whole Milk",
            "Greek Yoghurt",
            "Butter",
            "Brie",
            "Cream",
        ],
    ),
    (
        "Produce",
        "Fresh fruit and vegetables",
        &[
            "Apples", "Bananas", "Tomatoes", "Avocados", "Spinach", "Carrots",
        ],
    ),
    (
        "Pantry",
        "Pasta, rice, sauces and spices",
        &[
            "Spaghetti",
            "Basmati Rice",
            "Olive Oil",
            "Tomato Sauce",
            "Black Pepper",
            "Honey",
        ],
    ),
    (
        "Household",
        "Cleaning and kitchen supplies",
        &[
            "Dish Soap",
            "Paper Towels",
            "Sponges",
            "Trash Bags",
            "Laundry Detergent",
            "Glass Cleaner",
        ],
    ),
    (
        "Electronics",
        "Small gadgets and accessories",
        &[
            "USB Cable",
            "Headphones",
            "Power Bank",
            "Phone Case",
            "Bluetooth Speaker",
            "Smart Plug",
        ],
    ),
    (
        "Toys",
        "Games and toys for all ages",
        &[
            "Puzzle",
            "Board Game",
            "Building Blocks",
            "Plush Bear",
            "Kite",
            "Card Game",
        ],
    ),
];

const VARIANTS: [&str; 5] = ["Classic", "Organic", "Premium", "Family Pack", "Mini"];

const COUNTRIES: [(&str, &[&str]); 8] = [
    (
        "Netherlands",
        &["Amsterdam", "Rotterdam", "Utrecht", "Eindhoven"],
    ),
    ("Germany", &["Berlin", "Hamburg", "Munich", "Cologne"]),
    ("France", &["Paris", "Lyon", "Marseille", "Lille"]),
    (
        "United Kingdom",
        &["London", "Manchester", "Leeds", "Bristol"],
    ),
    ("Spain", &["Madrid", "Barcelona", "Valencia", "Seville"]),
    ("Italy", &["Rome", "Milan", "Turin", "Naples"]),
    ("Belgium", &["Brussels", "Antwerp", "Ghent"]),
    (
        "USA",
        &["New York", "Chicago", "Seattle", "Austin", "Boston"],
    ),
];

const FIRST_NAMES: [&str; 32] = [
    "Anna", "Ben", "Chloe", "David", "Emma", "Felix", "Grace", "Hugo", "Isabel", "Jonas", "Klara",
    "Lucas", "Maria", "Noah", "Olivia", "Pablo", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera",
    "Willem", "Xavier", "Yara", "Zoe", "Lars", "Sofia", "Marco", "Julia", "Thomas", "Elena",
];

const LAST_NAMES: [&str; 32] = [
    "de Vries",
    "Jansen",
    "Müller",
    "Schmidt",
    "Martin",
    "Bernard",
    "Smith",
    "Jones",
    "García",
    "López",
    "Rossi",
    "Russo",
    "Peeters",
    "Maes",
    "Johnson",
    "Brown",
    "Bakker",
    "Visser",
    "Fischer",
    "Weber",
    "Dubois",
    "Moreau",
    "Taylor",
    "Wilson",
    "Fernández",
    "Romano",
    "Janssens",
    "Miller",
    "Davis",
    "Meyer",
    "Leroy",
    "Evans",
];

const CARRIERS: [&str; 4] = ["DHL", "UPS", "PostNL", "FedEx"];

fn insert_categories(tx: &Connection) -> rusqlite::Result<()> {
    let mut stmt =
        tx.prepare("INSERT INTO categories (id, name, description) VALUES (?1, ?2, ?3)")?;
    for (i, (name, description, _)) in CATEGORIES.iter().enumerate() {
        stmt.execute(params![i as i64 + 1, name, description])?;
    }
    Ok(())
}

/// Inserts products; returns each product's price (index = id - 1).
fn insert_products(tx: &Connection, rng: &mut Rng) -> rusqlite::Result<Vec<f64>> {
    let mut stmt = tx.prepare(
        "INSERT INTO products (id, name, category_id, unit_price, units_in_stock, discontinued) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut prices = Vec::new();
    let base_price = [3.5, 2.8, 4.2, 2.0, 3.0, 4.5, 24.0, 18.0];
    // 15 products per category: each item in up to three variants.
    for (c, (_, _, items)) in CATEGORIES.iter().enumerate() {
        for k in 0..15 {
            let item = items.get(k % items.len()).copied().unwrap_or("Item");
            let variant = VARIANTS.get(k / items.len()).copied().unwrap_or("Classic");
            let id = prices.len() as i64 + 1;
            let base = base_price.get(c).copied().unwrap_or(5.0);
            let price = cents(base * (0.5 + rng.unit() * 2.5));
            let stock = rng.below(250) as i64;
            let discontinued = i64::from(rng.below(100) < 6);
            stmt.execute(params![
                id,
                format!("{item} {variant}"),
                c as i64 + 1,
                price,
                stock,
                discontinued
            ])?;
            prices.push(price);
        }
    }
    Ok(prices)
}

/// Inserts customers; returns each customer's (country, city) (index = id - 1).
fn insert_customers(
    tx: &Connection,
    rng: &mut Rng,
) -> rusqlite::Result<Vec<(&'static str, &'static str)>> {
    let mut stmt = tx.prepare(
        "INSERT INTO customers (id, first_name, last_name, email, country, city, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut out = Vec::new();
    let first_day = days_from_civil(2022, 1, 1);
    let last_day = days_from_civil(LAST_DAY.0, LAST_DAY.1, LAST_DAY.2);
    for id in 1..=500_i64 {
        let first = *rng.pick(&FIRST_NAMES);
        let last = *rng.pick(&LAST_NAMES);
        // Weighted towards the first countries: the shop started in the Netherlands.
        let country_at = (rng.below(8) * rng.below(9) / 8) as usize;
        let (country, cities) = COUNTRIES.get(country_at).copied().unwrap_or(COUNTRIES[0]);
        let city = *rng.pick(cities);
        let email = format!(
            "{}.{}{}@example.com",
            ascii_slug(first),
            ascii_slug(last),
            id
        );
        let day = first_day + rng.below((last_day - first_day - 60) as u64) as i64;
        let created_at = format!(
            "{} {:02}:{:02}:{:02}",
            civil_string(day),
            rng.below(24),
            rng.below(60),
            rng.below(60)
        );
        stmt.execute(params![id, first, last, email, country, city, created_at])?;
        out.push((country, city));
    }
    Ok(out)
}

const EMPLOYEES: [(&str, &str, &str, Option<i64>); 15] = [
    ("Sarah", "Visser", "Chief Executive Officer", None),
    ("Peter", "Jansen", "Head of Sales", Some(1)),
    ("Laura", "Müller", "Head of Operations", Some(1)),
    ("Tom", "Bakker", "Sales Manager Benelux", Some(2)),
    ("Nina", "Rossi", "Sales Manager South", Some(2)),
    ("James", "Taylor", "Sales Manager North", Some(2)),
    ("Eva", "de Vries", "Sales Representative", Some(4)),
    ("Mark", "Peeters", "Sales Representative", Some(4)),
    ("Lena", "Fischer", "Sales Representative", Some(6)),
    ("Carlos", "García", "Sales Representative", Some(5)),
    ("Giulia", "Romano", "Sales Representative", Some(5)),
    ("Oliver", "Evans", "Sales Representative", Some(6)),
    ("Marie", "Dubois", "Warehouse Lead", Some(3)),
    ("Ahmed", "Yilmaz", "Logistics Coordinator", Some(3)),
    ("Kim", "Smith", "Customer Service Agent", Some(3)),
];

fn insert_employees(tx: &Connection, rng: &mut Rng) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare(
        "INSERT INTO employees (id, first_name, last_name, title, email, hire_date, manager_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let first_day = days_from_civil(2015, 1, 1);
    for (i, (first, last, title, manager)) in EMPLOYEES.iter().enumerate() {
        let id = i as i64 + 1;
        let hire = first_day + (i as i64) * 200 + rng.below(150) as i64;
        let email = format!("{}.{}@shop.example", ascii_slug(first), ascii_slug(last));
        stmt.execute(params![
            id,
            first,
            last,
            title,
            email,
            civil_string(hire),
            manager
        ])?;
    }
    Ok(())
}

fn insert_orders(
    tx: &Connection,
    rng: &mut Rng,
    customers: &[(&str, &str)],
    prices: &[f64],
) -> rusqlite::Result<()> {
    let mut order = tx.prepare(
        "INSERT INTO orders (id, customer_id, employee_id, order_date, required_date, \
         shipped_date, status, carrier, ship_country, ship_city) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    let mut item = tx.prepare(
        "INSERT INTO order_items (order_id, product_id, quantity, unit_price, discount) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let first_day = days_from_civil(2024, 1, 1);
    let last_day = days_from_civil(LAST_DAY.0, LAST_DAY.1, LAST_DAY.2);
    let span = (last_day - first_day + 1) as u64;
    // Sales representatives take the orders (ids 7..=12), sometimes their managers.
    let sellers: [i64; 9] = [7, 8, 9, 10, 11, 12, 4, 5, 6];
    let mut dates: Vec<i64> = (0..2000)
        .map(|_| first_day + rng.below(span) as i64)
        .collect();
    dates.sort_unstable();
    for (i, &day) in dates.iter().enumerate() {
        let id = i as i64 + 1;
        let customer = rng.below(customers.len() as u64) as usize;
        let (country, city) = customers
            .get(customer)
            .copied()
            .unwrap_or(("Netherlands", "Amsterdam"));
        let employee = *rng.pick(&sellers);
        let carrier = *rng.pick(&CARRIERS);
        // Promised within 3 to 7 days.
        let promise = 3 + rng.below(5) as i64;
        let required = day + promise;
        let age = last_day - day;
        let roll = rng.below(100);
        let (status, shipped) = if roll < 4 {
            ("cancelled", None)
        } else if age < 3 && roll < 60 {
            ("pending", None)
        } else {
            // Mostly on time; about one in six late (more often with PostNL).
            let late_odds = if carrier == "PostNL" { 30 } else { 14 };
            let delay = if rng.below(100) < late_odds {
                promise + 1 + rng.below(6) as i64
            } else {
                1 + rng.below(promise as u64) as i64
            };
            let shipped = day + delay;
            if shipped > last_day {
                ("pending", None)
            } else if age < 10 {
                ("shipped", Some(shipped))
            } else {
                ("delivered", Some(shipped))
            }
        };
        order.execute(params![
            id,
            customer as i64 + 1,
            employee,
            civil_string(day),
            civil_string(required),
            shipped.map(civil_string),
            status,
            if status == "cancelled" {
                None
            } else {
                Some(carrier)
            },
            country,
            city
        ])?;
        let lines = 1 + rng.below(4) + rng.below(2);
        let mut chosen: Vec<usize> = Vec::new();
        while (chosen.len() as u64) < lines {
            let p = rng.below(prices.len() as u64) as usize;
            if !chosen.contains(&p) {
                chosen.push(p);
            }
        }
        for p in chosen {
            let price = prices.get(p).copied().unwrap_or(1.0);
            let quantity = 1 + rng.below(6) as i64 + if rng.below(10) == 0 { 10 } else { 0 };
            let discount = match rng.below(10) {
                0 => 0.1,
                1 => 0.05,
                _ => 0.0,
            };
            item.execute(params![id, p as i64 + 1, quantity, price, discount])?;
        }
    }
    Ok(())
}

/// Rounds to cents.
fn cents(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// Lower-case ASCII for e-mail addresses (`Müller` → `muller`, `de Vries` → `devries`).
fn ascii_slug(name: &str) -> String {
    name.chars()
        .filter_map(|c| match c {
            'ä' | 'á' | 'à' => Some('a'),
            'ö' | 'ó' => Some('o'),
            'ü' | 'ú' => Some('u'),
            'é' | 'è' | 'ë' => Some('e'),
            'í' => Some('i'),
            'ñ' => Some('n'),
            c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD` of a day count since 1970-01-01.
fn civil_string(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// SplitMix64: tiny, fast and good enough for test data; stable across platforms.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    /// A number in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1_u64 << 53) as f64
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let at = self.below(items.len() as u64) as usize;
        // `at < len` for a non-empty slice; every caller passes a non-empty constant.
        &items[at.min(items.len().saturating_sub(1))]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        for (y, m, d, s) in [
            (1970, 1, 1, "1970-01-01"),
            (2024, 2, 29, "2024-02-29"),
            (2024, 3, 1, "2024-03-01"),
            (2025, 12, 31, "2025-12-31"),
        ] {
            assert_eq!(civil_string(days_from_civil(y, m, d)), s);
        }
        assert_eq!(days_from_civil(1970, 1, 2), 1);
    }

    #[test]
    fn demo_database_is_deterministic_and_consistent() {
        let dir = tempfile::tempdir().unwrap();
        let a = create_demo_database(&dir.path().join("a/shop.db")).unwrap();
        let b = create_demo_database(&dir.path().join("b/shop.db")).unwrap();
        assert_eq!(a.tables, b.tables);
        let bytes_a = std::fs::read(&a.path).unwrap();
        let bytes_b = std::fs::read(&b.path).unwrap();
        assert!(bytes_a == bytes_b, "two runs wrote different files");
        // Rewriting in place replaces the file.
        create_demo_database(&a.path).unwrap();
        assert!(std::fs::read(&a.path).unwrap() == bytes_a);

        let counts: std::collections::HashMap<_, _> = a.tables.iter().cloned().collect();
        assert_eq!(counts["categories"], 8);
        assert_eq!(counts["products"], 120);
        assert_eq!(counts["customers"], 500);
        assert_eq!(counts["employees"], 15);
        assert_eq!(counts["orders"], 2000);
        assert_eq!(counts["order_items"], 6061);

        let conn = Connection::open(&a.path).unwrap();
        let facts: (String, String, i64, i64, i64, i64) = conn
            .query_row(
                "SELECT min(order_date), max(order_date), \
                 (SELECT count(*) FROM orders WHERE shipped_date > required_date), \
                 (SELECT count(DISTINCT status) FROM orders), \
                 (SELECT count(*) FROM pragma_foreign_key_check), \
                 (SELECT count(*) FROM order_totals) FROM orders",
                [],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )
            .unwrap();
        assert!(facts.0.starts_with("2024-01"), "{facts:?}");
        assert!(facts.1.starts_with("2025-12"), "{facts:?}");
        assert!(facts.2 > 100, "too few late shipments: {facts:?}");
        assert_eq!(facts.3, 4, "{facts:?}");
        assert_eq!(facts.4, 0, "foreign key violations: {facts:?}");
        assert_eq!(facts.5, 2000, "{facts:?}");
        assert!(a.to_string().contains("order_items"));
    }
}
