// sqlx::migrate! embeds ../../migrations at compile time but does not watch the folder.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
