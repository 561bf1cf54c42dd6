//! Times the phases of a full load: `cargo run --release --example load_probe -- STORE`.
use std::time::Instant;
fn main() {
    let path = std::env::args().nth(1).expect("store path");
    let t = Instant::now();
    let s = paytrack::store::Store::open(std::path::Path::new(&path)).unwrap();
    println!("open {:?}", t.elapsed());
    let t = Instant::now();
    let parties = s.parties().unwrap();
    println!("parties {:?}", t.elapsed());
    let t = Instant::now();
    let inv = s.invoices().unwrap();
    println!("invoices {:?} ({})", t.elapsed(), inv.len());
    let t = Instant::now();
    let pay = s.payments().unwrap();
    println!("payments {:?} ({})", t.elapsed(), pay.len());
    let t = Instant::now();
    let l = paytrack::domain::ledger::Ledger::from_records(parties, inv, pay);
    println!("ledger {:?}", t.elapsed());
    let t = Instant::now();
    drop(l);
    println!("drop {:?}", t.elapsed());
}
