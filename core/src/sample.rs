//! A realistic sample workspace: deterministic companies, people and deals for benchmarks, demos
//! and first-run "try with sample data". Loaded through the core's own create paths.

use crate::crm::{Crm, CrmError};
use dealdesk_model::{DealStatus, Money, NewCompany, NewDeal, NewPerson, UpdateSource};
use std::collections::HashMap;
use uuid::Uuid;

/// xorshift64*: deterministic data without a dependency.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[(self.next_u64() % items.len() as u64) as usize]
    }
}

pub const FIRST: &[&str] = &[
    "Ada", "Alan", "Amara", "Ana", "Ann", "Arjun", "Beatriz", "Ben", "Bjorn", "Carla", "Chen", "Chloé", "Dana",
    "David", "Diego", "Elena", "Emeka", "Emma", "Fatima", "Felix", "Grace", "Hana", "Hugo", "Ines", "Ivan", "Jade",
    "James", "Jonas", "José", "Julia", "Kai", "Karim", "Lara", "Leo", "Lina", "Lucas", "Maya", "Mei", "Mohammed",
    "Nadia", "Noah", "Nora", "Olga", "Omar", "Paula", "Pedro", "Priya", "Rafael", "Rosa", "Sam", "Sara", "Sofia",
    "Tariq", "Tom", "Uma", "Victor", "Wei", "Yara", "Yusuf", "Zoë",
];
pub const LAST: &[&str] = &[
    "Abebe",
    "Alvarez",
    "Andersen",
    "Baker",
    "Bianchi",
    "Brown",
    "Chen",
    "Costa",
    "Dubois",
    "Dupont",
    "Eriksson",
    "Fischer",
    "García",
    "Gomez",
    "Hansen",
    "Hoffmann",
    "Ivanova",
    "Jensen",
    "Kim",
    "Kowalski",
    "Larsen",
    "Lee",
    "López",
    "Martin",
    "Müller",
    "Nakamura",
    "Nguyen",
    "Novak",
    "Okafor",
    "Olsen",
    "Park",
    "Patel",
    "Petrov",
    "Quinn",
    "Rossi",
    "Santos",
    "Schmidt",
    "Silva",
    "Singh",
    "Smith",
    "Sørensen",
    "Tanaka",
    "Taylor",
    "Wagner",
    "Wang",
    "Weber",
    "Wilson",
    "Yamamoto",
    "Zhang",
    "Ziegler",
];
pub const TITLES: &[&str] =
    &["Founder", "CEO", "CTO", "Head of Growth", "Community Manager", "Creator", "Coach", "Designer"];
pub const CITIES: &[&str] =
    &["Lisbon", "Berlin", "Austin", "Lagos", "São Paulo", "Tokyo", "Toronto", "Paris", "Mumbai", "Sydney"];
pub const WORDS: &[&str] = &[
    "Alpha", "Bright", "Cloud", "Delta", "Echo", "Forge", "Growth", "Harbor", "Insight", "Jet", "Kite", "Lumen",
    "Mint", "Nova", "Orbit", "Pixel", "Quartz", "River", "Summit", "Trade", "Union", "Vertex", "Wave", "Xeno", "Yield",
    "Zen",
];
pub const SUFFIXES: &[&str] = &["Labs", "Academy", "Capital", "Studio", "Media", "Collective", "Group", "Club"];

/// Generated records. Their `id`s are placeholders that link people and deals to companies and
/// contacts; each insert path makes its own ids and maps the links onto them, as an app would.
pub struct SampleData {
    pub companies: Vec<NewCompany>,
    pub people: Vec<NewPerson>,
    pub deals: Vec<NewDeal>,
}

/// Realistic, deterministic records: `companies`, `people` (most at a company) and `deals`.
pub fn generate(companies: usize, people: usize, deals: usize) -> SampleData {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let companies: Vec<NewCompany> = (0..companies)
        .map(|i| {
            let (a, b) = (rng.pick(WORDS), rng.pick(SUFFIXES));
            NewCompany {
                id: Some(Uuid::now_v7()),
                name: format!("{a} {b} {i}"),
                domain: Some(format!("{}-{}-{i}.com", a.to_lowercase(), b.to_lowercase())),
                employees: Some((rng.next_u64() % 500) as i64),
                ..Default::default()
            }
        })
        .collect();
    let people: Vec<NewPerson> = (0..people)
        .map(|i| {
            let (first, last) = (rng.pick(FIRST), rng.pick(LAST));
            let company = (!companies.is_empty())
                .then(|| companies[(rng.next_u64() % companies.len() as u64) as usize].id)
                .flatten();
            NewPerson {
                id: Some(Uuid::now_v7()),
                first_name: first.to_string(),
                last_name: last.to_string(),
                email: Some(
                    format!("{}.{}{i}@example.com", first.to_lowercase(), last.to_lowercase())
                        .replace(['é', 'ë', 'ø', 'í', 'ü', 'á', 'ó'], "x"),
                ),
                job_title: Some(rng.pick(TITLES).to_string()),
                city: Some(rng.pick(CITIES).to_string()),
                company_id: company,
                ..Default::default()
            }
        })
        .collect();
    let stages = ["NEW", "SCREENING", "MEETING", "PROPOSAL", "CUSTOMER"];
    let deals: Vec<NewDeal> = (0..deals)
        .map(|i| NewDeal {
            id: Some(Uuid::now_v7()),
            name: format!("{} {} deal {i}", rng.pick(WORDS), rng.pick(SUFFIXES)),
            amount: Money { micros: ((rng.next_u64() % 50_000) as i64 + 100) * 1_000_000, currency: "USD".into() },
            close_date: None,
            pipeline_id: None,
            stage: Some(stages[(rng.next_u64() % 5) as usize].to_string()),
            status: DealStatus::Open,
            lost_reason: None,
            contact_id: (!people.is_empty())
                .then(|| people[(rng.next_u64() % people.len() as u64) as usize].id)
                .flatten(),
            company_id: (!companies.is_empty())
                .then(|| companies[(rng.next_u64() % companies.len() as u64) as usize].id)
                .flatten(),
            custom: Default::default(),
        })
        .collect();
    SampleData { companies, people, deals }
}

/// Creates the sample records through the core (validation, change log, search index), linking
/// people and deals to the companies and contacts the sample chose.
pub async fn load(crm: &Crm, data: &SampleData, source: UpdateSource) -> Result<(), CrmError> {
    let mut ids: HashMap<Uuid, Uuid> = HashMap::new();
    let link = |ids: &HashMap<Uuid, Uuid>, placeholder: Option<Uuid>| placeholder.and_then(|p| ids.get(&p).copied());
    let companies: Vec<NewCompany> = data.companies.iter().map(|c| NewCompany { id: None, ..c.clone() }).collect();
    let made = crm.create_companies(companies, source).await?;
    ids.extend(data.companies.iter().filter_map(|c| c.id).zip(made));
    let people: Vec<NewPerson> =
        data.people.iter().map(|p| NewPerson { id: None, company_id: link(&ids, p.company_id), ..p.clone() }).collect();
    let made = crm.create_people(people, source).await?;
    ids.extend(data.people.iter().filter_map(|p| p.id).zip(made));
    let deals: Vec<NewDeal> = data
        .deals
        .iter()
        .map(|d| NewDeal {
            id: None,
            contact_id: link(&ids, d.contact_id),
            company_id: link(&ids, d.company_id),
            ..d.clone()
        })
        .collect();
    crm.create_deals(deals, source).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_is_deterministic_and_linked() {
        let a = generate(10, 50, 20);
        let b = generate(10, 50, 20);
        let names = |d: &SampleData| d.people.iter().map(|p| p.first_name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&a), names(&b));
        assert!(a.people.iter().all(|p| p.company_id.is_some()));
        assert_eq!(a.deals.len(), 20);
    }
}
