//! The `recoup` binary: `user create`, `migrate` and the demo seed.

use std::process::Command;

fn recoup(db: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_recoup"));
    cmd.env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .env("RECOUP_SESSION_KEY", "ab".repeat(64))
        .env("RECOUP_SECRET_KEY", "cd".repeat(32))
        .env("RUST_LOG", "warn");
    cmd
}

fn temp_db() -> std::path::PathBuf {
    let mut buf = [0u8; 6];
    getrandom::fill(&mut buf).unwrap();
    std::env::temp_dir().join(format!("recoup-cli-{}.db", hex::encode(buf)))
}

fn create(db: &std::path::Path, email: &str, role: &str, password: &str) -> std::process::Output {
    recoup(db)
        .args([
            "user", "create", "--email", email, "--name", "Ann Lee", "--role", role,
        ])
        .env("RECOUP_PASSWORD", password)
        .output()
        .unwrap()
}

/// The flags a refused command names on stderr (`  --flag: message` lines), each once.
fn flags_refused(output: &std::process::Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("--"))
        .filter_map(|rest| rest.split_once(':').map(|(flag, _)| flag.to_owned()))
        .fold(Vec::new(), |mut flags, flag| {
            if !flags.contains(&flag) {
                flags.push(flag);
            }
            flags
        })
}

#[test]
fn user_create_makes_a_user_and_refuses_bad_input_clearly() {
    let db = temp_db();
    let ok = create(&db, "ann@example.com", "admin", "violet-harbour-tram-42");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("ann@example.com"));

    let weak = create(&db, "bob@example.com", "admin", "short");
    assert!(!weak.status.success());
    assert_eq!(flags_refused(&weak), ["password"]);

    let role = create(&db, "bob@example.com", "wizard", "violet-harbour-tram-42");
    assert!(!role.status.success());
    assert_eq!(flags_refused(&role), ["role"]);

    let taken = create(&db, "ANN@example.com", "merchant", "violet-harbour-tram-42");
    assert!(!taken.status.success());
    assert_eq!(
        flags_refused(&taken),
        ["email"],
        "emails are unique whatever the case"
    );

    let migrate = recoup(&db).arg("migrate").output().unwrap();
    assert!(migrate.status.success());
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

#[test]
fn prod_mode_without_keys_stops_with_a_clear_message() {
    let db = temp_db();
    let out = Command::new(env!("CARGO_BIN_EXE_recoup"))
        .arg("migrate")
        .env("RECOUP_ENV", "prod")
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .env_remove("RECOUP_SESSION_KEY")
        .env_remove("RECOUP_SECRET_KEY")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("RECOUP_SESSION_KEY"),
        "the missing setting is named: {stderr}"
    );
    assert!(!db.exists(), "nothing was created");
}

#[tokio::test]
async fn secrets_rotate_re_encrypts_under_the_new_key() {
    use recoup::domain::event::Actor;
    use recoup::web::mids::MidForm;
    use secrecy::SecretSlice;

    let db = temp_db();
    let url = format!("sqlite://{}", db.display());
    let services_with = |current: u8, previous: Option<u8>| {
        let mut settings = crate::helpers::test_settings(url.clone());
        settings.secret_key = SecretSlice::from(vec![current; 32]);
        settings.previous_secret_keys = previous
            .map(|p| SecretSlice::from(vec![p; 32]))
            .into_iter()
            .collect();
        settings
    };
    let old = services_with(0xab, None);
    let conn = recoup::startup::open_database(&old).await.unwrap();
    let services = recoup::startup::services(
        conn.clone(),
        &old,
        std::sync::Arc::new(recoup::clock::SystemClock),
    )
    .unwrap();
    let mut form = MidForm {
        title: "Rotating".into(),
        provider: "flexpay".into(),
        ..MidForm::default()
    };
    form.extra
        .insert("cred_apikey".into(), "fp-live-key-000123456789".into());
    let id = services
        .mids
        .create(&Actor::system("test"), &form.draft(false).unwrap())
        .await
        .unwrap();
    conn.close().await;

    let out = recoup(&db)
        .args(["secrets", "rotate"])
        .env("RECOUP_SECRET_KEY", "cd".repeat(32))
        .env("RECOUP_SECRET_KEY_PREVIOUS", "ab".repeat(32))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Re-encrypted 1 credential(s)"));

    let new = services_with(0xcd, None);
    let conn = recoup::startup::open_database(&new).await.unwrap();
    let rotated = recoup::startup::services(
        conn.clone(),
        &new,
        std::sync::Arc::new(recoup::clock::SystemClock),
    )
    .unwrap();
    assert_eq!(
        rotated.mids.credential_masks(id).await.unwrap(),
        [("apikey", "••••6789".to_owned())]
    );
    conn.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}
