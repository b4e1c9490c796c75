//! The words the demo customers are made of: names and places by culture,
//! tags, plans, channels, sources, companies, timeline entries and notes.

use crate::activity::ActivityType;

pub(super) struct Culture {
    pub(super) first: &'static [&'static str],
    pub(super) last: &'static [&'static str],
    /// (city, state, country, postal code prefix)
    pub(super) places: &'static [(&'static str, &'static str, &'static str, &'static str)],
    /// Calling code and area, before the customer's own digits.
    pub(super) phone_prefix: &'static str,
    pub(super) domains: &'static [&'static str],
    /// The language its customers are written to, and their currency.
    pub(super) locale: &'static str,
    pub(super) currency: &'static str,
}

pub(super) const CULTURES: &[Culture] = &[
    Culture {
        first: &[
            "James", "Olivia", "Ethan", "Ava", "Noah", "Emma", "Liam", "Sophia", "Mason", "Harper",
        ],
        last: &[
            "Smith", "Johnson", "Williams", "Brown", "Miller", "Davis", "Wilson", "Taylor",
            "Clark", "Lewis",
        ],
        places: &[
            ("San Francisco", "CA", "US", "941"),
            ("Austin", "TX", "US", "787"),
            ("Boston", "MA", "US", "021"),
            ("Seattle", "WA", "US", "981"),
        ],
        phone_prefix: "+1415",
        domains: &["example.com", "mail.example", "inbox.example"],
        locale: "en-US",
        currency: "USD",
    },
    Culture {
        first: &[
            "María", "José", "Lucía", "Javier", "Sofía", "Álvaro", "Carmen", "Diego", "Inés",
            "Andrés",
        ],
        last: &[
            "García",
            "Fernández",
            "López",
            "Martínez",
            "Sánchez",
            "Pérez",
            "Gómez",
            "Núñez",
            "Jiménez",
            "Ruiz",
        ],
        places: &[
            ("Madrid", "Madrid", "ES", "280"),
            ("Barcelona", "Cataluña", "ES", "080"),
            ("Sevilla", "Andalucía", "ES", "410"),
        ],
        phone_prefix: "+3461",
        domains: &["correo.example", "example.es"],
        locale: "es-ES",
        currency: "EUR",
    },
    Culture {
        first: &[
            "Wei", "Fang", "Jing", "Lei", "Min", "Yan", "Hao", "Xiu", "Jun", "Ling",
        ],
        last: &[
            "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou",
        ],
        places: &[
            ("Shanghai", "Shanghai", "CN", "200"),
            ("Beijing", "Beijing", "CN", "100"),
            ("Shenzhen", "Guangdong", "CN", "518"),
        ],
        phone_prefix: "+86138",
        domains: &["example.cn", "mail.example"],
        locale: "zh-CN",
        currency: "CNY",
    },
    Culture {
        first: &[
            "Chinedu",
            "Ngozi",
            "Oluwaseun",
            "Adaeze",
            "Emeka",
            "Funmilayo",
            "Tunde",
            "Amaka",
            "Kelechi",
            "Yetunde",
        ],
        last: &[
            "Okafor", "Adeyemi", "Eze", "Okonkwo", "Balogun", "Nwosu", "Adebayo", "Obi", "Chukwu",
            "Olawale",
        ],
        places: &[
            ("Lagos", "Lagos", "NG", "100"),
            ("Abuja", "FCT", "NG", "900"),
            ("Ibadan", "Oyo", "NG", "200"),
        ],
        phone_prefix: "+234803",
        domains: &["example.ng", "mail.example"],
        locale: "en-NG",
        currency: "NGN",
    },
    Culture {
        first: &[
            "Lukas",
            "Anna",
            "Jonas",
            "Lea",
            "Felix",
            "Hannah",
            "Maximilian",
            "Mia",
            "Jürgen",
            "Jörg",
        ],
        last: &[
            "Müller",
            "Schmidt",
            "Schneider",
            "Fischer",
            "Weber",
            "Meyer",
            "Wagner",
            "Becker",
            "Schäfer",
            "Groß",
        ],
        places: &[
            ("Berlin", "Berlin", "DE", "101"),
            ("München", "Bayern", "DE", "803"),
            ("Hamburg", "Hamburg", "DE", "203"),
        ],
        phone_prefix: "+4930",
        domains: &["beispiel.example", "example.de"],
        locale: "de-DE",
        currency: "EUR",
    },
    Culture {
        first: &[
            "Aarav", "Priya", "Vihaan", "Ananya", "Arjun", "Diya", "Rohan", "Isha", "Kabir",
            "Meera",
        ],
        last: &[
            "Sharma", "Patel", "Gupta", "Reddy", "Iyer", "Nair", "Singh", "Kumar", "Das", "Joshi",
        ],
        places: &[
            ("Bengaluru", "Karnataka", "IN", "560"),
            ("Mumbai", "Maharashtra", "IN", "400"),
            ("Pune", "Maharashtra", "IN", "411"),
        ],
        phone_prefix: "+9198",
        domains: &["example.in", "mail.example"],
        locale: "en-IN",
        currency: "INR",
    },
    Culture {
        first: &[
            "Haruto", "Yui", "Sota", "Hina", "Ren", "Aoi", "Yuto", "Sakura", "Kaito", "Mei",
        ],
        last: &[
            "Sato",
            "Suzuki",
            "Takahashi",
            "Tanaka",
            "Watanabe",
            "Ito",
            "Yamamoto",
            "Nakamura",
            "Kobayashi",
            "Kato",
        ],
        places: &[
            ("Tokyo", "Tokyo", "JP", "100"),
            ("Osaka", "Osaka", "JP", "530"),
            ("Kyoto", "Kyoto", "JP", "600"),
        ],
        phone_prefix: "+8190",
        domains: &["example.jp", "mail.example"],
        locale: "ja-JP",
        currency: "JPY",
    },
    Culture {
        first: &[
            "Omar", "Layla", "Youssef", "Fatima", "Karim", "Nour", "Ahmed", "Salma", "Rami",
            "Yasmin",
        ],
        last: &[
            "Haddad", "Khalil", "Mansour", "Nasser", "Saleh", "Farouk", "Hassan", "Aziz", "Rahman",
            "Darwish",
        ],
        places: &[
            ("Cairo", "Cairo", "EG", "115"),
            ("Dubai", "Dubai", "AE", "000"),
            ("Amman", "Amman", "JO", "111"),
        ],
        phone_prefix: "+2010",
        domains: &["example.eg", "mail.example"],
        locale: "ar-EG",
        currency: "EGP",
    },
];

pub(super) const TAGS: &[&str] = &[
    "vip",
    "newsletter",
    "wholesale",
    "returning",
    "eu",
    "beta",
    "churn-risk",
    "referral",
    "loyalty",
    "b2b",
    "gift-buyer",
    "mobile",
];
pub(super) const PLANS: &[&str] = &["free", "starter", "pro", "enterprise"];
pub(super) const CHANNELS: &[&str] = &[
    "organic",
    "paid-search",
    "social",
    "referral",
    "email",
    "partner",
];
pub(super) const SOURCES: &[&str] = &["web", "shopify", "pos", "import", "api"];
pub(super) const COMPANIES: &[&str] = &[
    "Northwind",
    "Contoso",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark Industries",
    "Wayne Enterprises",
];

pub(super) const EXTRA_ACTIVITY: [(ActivityType, &str); 5] = [
    (ActivityType::Email, "Newsletter opened"),
    (ActivityType::Email, "Order confirmation sent"),
    (ActivityType::PageView, "Viewed the pricing page"),
    (ActivityType::PageView, "Viewed a product"),
    (ActivityType::Support, "Support ticket answered"),
];

pub(super) const NOTES: [&str; 4] = [
    "Prefers email over phone calls.",
    "Asked about volume discounts; follow up next quarter.",
    "Had a delivery problem, resolved with a voucher.",
    "Interested in the annual plan.",
];

/// Where demo customers gave their marketing consent.
pub(super) const CONSENT_SOURCES: &[&str] =
    &["checkout", "newsletter_form", "account_signup", "pos"];
