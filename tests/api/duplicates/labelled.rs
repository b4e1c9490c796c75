//! A generated, labelled set of customers: people, their duplicates as
//! real data holds them (an email Gmail reads as the same, a short first
//! name at the same company, accents dropped at the same address, a typo
//! at the same company, a phone with another prefix), and near misses
//! that are other people (family at one address, colleagues at one
//! domain, namesakes, similar names with nothing else in common), and a
//! few cases no finder by names and contacts tells apart.

use std::collections::BTreeSet;

use rand::SeedableRng as _;
use rand::seq::{IndexedRandom as _, SliceRandom as _};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

/// The score from which a pair counts as proposed in the measurement.
pub const THRESHOLD: f64 = 0.7;

/// Full first names and a short form of each.
const FIRST: &[(&str, &str)] = &[
    ("William", "Bill"),
    ("Robert", "Bob"),
    ("Elizabeth", "Liz"),
    ("Katherine", "Kate"),
    ("Michael", "Mike"),
    ("James", "Jim"),
    ("Thomas", "Tom"),
    ("Richard", "Rick"),
    ("Margaret", "Maggie"),
    ("Jonathan", "Jon"),
    ("Alexander", "Alex"),
    ("Daniel", "Dan"),
    ("Jennifer", "Jen"),
    ("Nicholas", "Nick"),
    ("Stephen", "Steve"),
    ("Susan", "Sue"),
    ("Timothy", "Tim"),
    ("Victoria", "Vicky"),
    ("Patricia", "Trish"),
    ("Andrew", "Andy"),
];

/// Last names, some with accents, and a typo of each that sounds alike.
const LAST: &[(&str, &str)] = &[
    ("Smith", "Smyth"),
    ("Müller", "Mueller"),
    ("García", "Garcya"),
    ("Schröder", "Schroeder"),
    ("Johnson", "Jonson"),
    ("Nowak", "Nowack"),
    ("Fernández", "Fernandes"),
    ("Larsson", "Larson"),
    ("O'Brien", "OBrien"),
    ("Kowalski", "Kowalsky"),
    ("Rossi", "Rosi"),
    ("Dubois", "Duboys"),
    ("Andersen", "Anderson"),
    ("Nguyen", "Nguen"),
    ("Petrović", "Petrovic"),
    ("Thompson", "Tompson"),
    ("Brown", "Braun"),
    ("Wilson", "Willson"),
    ("Martin", "Martyn"),
    ("Lefèvre", "Lefevre"),
    ("Jansen", "Janssen"),
    ("Berg", "Burg"),
    ("Costa", "Coste"),
    ("Silva", "Sylva"),
    ("Weber", "Webber"),
    ("Wagner", "Waggner"),
    ("Becker", "Bekker"),
    ("Hoffmann", "Hofmann"),
    ("Schulz", "Schulze"),
    ("Koch", "Kock"),
];

const CITIES: &[(&str, &str)] = &[
    ("Berlin", "10115"),
    ("Hamburg", "20095"),
    ("Munich", "80331"),
    ("Cologne", "50667"),
    ("Leipzig", "04109"),
];

/// The rows to import (`CustomerInput`s) and the pairs that are one
/// person, by their emails.
pub struct Labelled {
    pub rows: Vec<Value>,
    pairs: Vec<(String, String)>,
}

impl Labelled {
    /// The true pairs, each ordered.
    pub fn truth(&self) -> BTreeSet<(String, String)> {
        self.pairs
            .iter()
            .map(|(a, b)| {
                if a < b {
                    (a.clone(), b.clone())
                } else {
                    (b.clone(), a.clone())
                }
            })
            .collect()
    }
}

struct Person {
    first: (&'static str, &'static str),
    last: (&'static str, &'static str),
    email: String,
    domain: String,
    phone: u64,
    street: String,
    city: (&'static str, &'static str),
    company: String,
}

/// A mobile number; `prefix` 151 or 171 (the same last eight digits).
fn phone(prefix: u32, number: u64) -> String {
    format!("+49{prefix}{number:08}")
}

fn ascii(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            'ü' => Some('u'),
            'ö' => Some('o'),
            'í' | 'é' => Some(if c == 'í' { 'i' } else { 'e' }),
            'á' => Some('a'),
            'è' => Some('e'),
            'ć' => Some('c'),
            '\'' => None,
            c => Some(c.to_ascii_lowercase()),
        })
        .collect()
}

fn row(p: &Person, first: &str, last: &str, email: &str, phone_prefix: Option<u32>) -> Value {
    let mut row = json!({
        "firstName": first,
        "lastName": last,
        "email": email,
        "companyName": p.company,
        "address": { "line1": p.street, "city": p.city.0, "postalCode": p.city.1, "country": "DE" },
    });
    if let Some(prefix) = phone_prefix {
        row["phone"] = json!(phone(prefix, p.phone));
    }
    row
}

/// About 1,050 customers from `seed`, the same for the same seed.
pub fn generate(seed: u64) -> Labelled {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut names: Vec<(usize, usize)> = (0..FIRST.len())
        .flat_map(|f| (0..LAST.len()).map(move |l| (f, l)))
        .collect();
    // Each person a name of its own: a namesake is a near miss on purpose.
    names.shuffle(&mut rng);
    let mut rows = Vec::new();
    let mut pairs = Vec::new();
    let people: Vec<Person> = names
        .iter()
        .take(560)
        .enumerate()
        .map(|(i, &(f, l))| {
            let (first, last) = (FIRST[f], LAST[l]);
            let free = i % 3 == 0;
            let domain = if free {
                "gmail.com".to_owned()
            } else {
                format!("firm{}.example", i / 2)
            };
            let email = format!("{}.{}{i}@{domain}", ascii(first.0), ascii(last.0));
            Person {
                first,
                last,
                email,
                domain,
                phone: 10_000_000 + i as u64 * 7_919,
                street: format!(
                    "{} Street {}",
                    ["Lindenweg", "Hauptstraße", "Gartenweg"][i % 3],
                    i
                ),
                city: *CITIES.choose(&mut rng).unwrap(),
                company: format!("Firm {} GmbH", i / 2),
            }
        })
        .collect();
    for (i, p) in people.iter().enumerate() {
        rows.push(row(p, p.first.0, p.last.0, &p.email, Some(151)));
        let dup_email = |tag: &str| {
            format!(
                "{}.{}.{tag}{i}@mail{i}.example",
                ascii(p.first.0),
                ascii(p.last.0)
            )
        };
        let (dup, near): (Option<Value>, Option<Value>) = match i % 10 {
            // A `+tag` (and at Gmail, dots) leaves the same inbox.
            0 => {
                let (local, domain) = p.email.split_once('@').unwrap();
                let local = if domain == "gmail.com" {
                    local.replace('.', "")
                } else {
                    local.to_owned()
                };
                let email = format!("{local}+shop@{domain}");
                (Some(row(p, p.first.0, p.last.0, &email, None)), None)
            }
            // A short first name at the same company domain.
            1 | 2 if p.domain != "gmail.com" => {
                let email = format!("{}{}@{}", ascii(p.first.1), i, p.domain);
                (Some(row(p, p.first.1, p.last.0, &email, None)), None)
            }
            // Accents dropped, at the same address.
            3 => {
                let last = ascii(p.last.0);
                let last = format!("{}{}", last[..1].to_uppercase(), &last[1..]);
                (Some(row(p, p.first.0, &last, &dup_email("a"), None)), None)
            }
            // A typo that sounds alike, at the same company.
            4 => {
                let mut dup = row(p, p.first.0, p.last.1, &dup_email("t"), None);
                dup["address"] = json!({ "city": "Bonn" });
                (Some(dup), None)
            }
            // The same mobile under another prefix.
            5 => {
                let mut dup = row(p, p.first.0, p.last.0, &dup_email("p"), Some(171));
                dup["address"] = Value::Null;
                dup["companyName"] = Value::Null;
                (Some(dup), None)
            }
            // Family: another first name at the same address.
            6 => {
                let other =
                    FIRST[(FIRST.iter().position(|f| *f == p.first).unwrap() + 7) % FIRST.len()];
                (None, Some(row(p, other.0, p.last.0, &dup_email("f"), None)))
            }
            // A colleague: another name at the same company domain.
            7 if p.domain != "gmail.com" => {
                let other =
                    LAST[(LAST.iter().position(|l| *l == p.last).unwrap() + 11) % LAST.len()];
                let mut near = row(
                    p,
                    p.first.0,
                    other.0,
                    &format!("colleague{i}@{}", p.domain),
                    None,
                );
                near["address"] = Value::Null;
                near["firstName"] = json!(FIRST[(i + 3) % FIRST.len()].0);
                (None, Some(near))
            }
            // A namesake, or a similar name, with nothing else in common.
            8 | 9 => {
                let first = if i % 10 == 8 { p.first.0 } else { p.first.1 };
                let near = json!({
                    "firstName": first,
                    "lastName": p.last.0,
                    "email": format!("someone{i}@elsewhere{i}.example"),
                    "address": { "city": "Dresden", "postalCode": "01067", "line1": format!("Elbweg {i}") },
                });
                (None, Some(near))
            }
            _ => (None, None),
        };
        if let Some(dup) = dup {
            pairs.push((p.email.clone(), dup["email"].as_str().unwrap().to_owned()));
            rows.push(dup);
        }
        rows.extend(near);
        // Hard cases no name-and-contact finder gets right: the same person
        // with a short first name and nothing else in common (missed), and
        // another person with a similar name at the same company (proposed).
        if i % 25 == 0 {
            let email = format!("{}{i}@mailbox{i}.example", ascii(p.first.1));
            let hidden = json!({ "firstName": p.first.1, "lastName": p.last.0, "email": email });
            pairs.push((p.email.clone(), email));
            rows.push(hidden);
        } else if i % 25 == 12 {
            let mut namesake = row(
                p,
                p.first.1,
                p.last.0,
                &format!("office{i}@{}", p.domain),
                None,
            );
            namesake["address"] = Value::Null;
            rows.push(namesake);
        }
    }
    Labelled { rows, pairs }
}
