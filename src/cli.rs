//! The `recoup` command line: serve, migrate, user management and API keys.

use std::io::Write;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

use crate::clock::SystemClock;
use crate::config::Settings;
use crate::domain::event::SystemActor;
use crate::domain::user::NewUser;
use crate::services::api_keys::ApiKeyError;
use crate::services::generate::{GenerateError, GeneratePlan};
use crate::services::users::UserError;
use crate::startup::{Application, open_database, services};

#[derive(Debug, Parser)]
#[command(name = "recoup", version, about = "Recoup merchant portal")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the database, then serve the portal on RECOUP_BIND.
    Serve {
        /// On an empty database, create one user per built-in role and print their logins.
        #[arg(long)]
        demo: bool,
    },
    /// Run background jobs (email delivery, refund-queue retries) without serving pages, until
    /// SIGTERM or Ctrl-C; the job it holds then is finished first.
    Worker,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage encrypted gateway credentials.
    Secrets {
        #[command(subcommand)]
        command: SecretsCommand,
    },
    /// Manage keys of the order API.
    ApiKey {
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
    /// Fill the database with generated customers, cards, orders, transactions, subscriptions
    /// and fulfillments over the last 90 days (the same seed gives the same rows on an empty
    /// database). Creates a "Generated Store" campaign first when no campaign can take sales.
    Generate {
        /// How many customers.
        #[arg(long)]
        customers: u64,
        /// How many orders each customer has.
        #[arg(long)]
        orders_per_customer: u32,
        /// The random seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key and print it. It is shown only this once; the database keeps a hash.
    Create {
        /// Who uses the key, such as "Checkout page".
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Re-encrypt every stored credential under RECOUP_SECRET_KEY. Set the old key(s) in
    /// RECOUP_SECRET_KEY_PREVIOUS (comma-separated hex) so they can still be read.
    Rotate,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. The password comes from RECOUP_PASSWORD, or is asked for.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        role: String,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    match cli.command {
        Command::Serve { demo } => serve(&settings, demo).await,
        Command::Worker => worker(&settings).await,
        Command::Migrate => {
            open_database(&settings).await?;
            say("Database is up to date.")
        }
        Command::User {
            command: UserCommand::Create { email, name, role },
        } => create_user(&settings, &email, &name, &role).await,
        Command::ApiKey {
            command: ApiKeyCommand::Create { name },
        } => create_api_key(&settings, &name).await,
        Command::Generate {
            customers,
            orders_per_customer,
            seed,
        } => {
            let plan = GeneratePlan {
                customers,
                orders_per_customer,
                seed,
                campaigns: None,
            };
            generate(&settings, &plan).await
        }
        Command::Secrets {
            command: SecretsCommand::Rotate,
        } => {
            let db = open_database(&settings).await?;
            let services = services(db, &settings, Arc::new(SystemClock))?;
            let changed = services
                .mids
                .rotate_secrets(&SystemActor::CommandLine.actor())
                .await?;
            say(&format!(
                "Re-encrypted {changed} credential(s) under key {}.",
                services.mids.current_key_id()
            ))
        }
    }
}

fn say(line: &str) -> anyhow::Result<()> {
    writeln!(std::io::stdout(), "{line}").context("writing to stdout")
}

async fn serve(settings: &Settings, demo: bool) -> anyhow::Result<()> {
    let db = open_database(settings).await?;
    let services = services(db, settings, Arc::new(SystemClock))?;
    if demo {
        let demo = services
            .load_demo()
            .await
            .map_err(|e| anyhow::anyhow!("demo data: {e}"))?;
        if demo.logins.is_empty() {
            say("Demo: the database already has users; nothing was added.")?;
        } else {
            say("Demo logins (shown once; change them for anything but a demo):")?;
            for login in &demo.logins {
                say(&format!(
                    "  {:<9} {:<32} {}",
                    login.role, login.email, login.password
                ))?;
            }
        }
        if let Some(store) = &demo.store {
            say(&format!(
                "Demo Store (campaign {}): {} customers, {} orders over the last 90 days.",
                store.campaign, store.customers, store.orders
            ))?;
            say(&format!(
                "  API key \"{}\" (shown once): {}",
                store.api_key.name, store.api_key.key
            ))?;
        }
    }
    spawn_housekeeping(services.clone());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let jobs = settings.worker.then(|| {
        let runner = services.runner(&crate::worker::worker_name("serve"));
        tokio::spawn(crate::worker::run(runner, stopped))
    });
    let workers = std::thread::available_parallelism().map_or(2, usize::from);
    let app = Application::build(settings, services, workers)?;
    say(&format!(
        "Recoup is listening on http://{}{}",
        display_bind(&settings.bind, app.port()),
        if settings.worker {
            ""
        } else {
            " (background jobs off: RECOUP_WORKER=off)"
        }
    ))?;
    // The server stops on SIGTERM or Ctrl-C; the job runner then finishes the job it holds.
    let served = app.run_until_stopped().await;
    let _ = stop.send(true);
    if let Some(jobs) = jobs {
        let _ = jobs.await;
    }
    served.context("server stopped with an error")
}

/// `recoup worker`: the job runner alone, until SIGTERM or Ctrl-C.
async fn worker(settings: &Settings) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let db = open_database(settings).await?;
    let services = services(db, settings, Arc::new(SystemClock))?;
    // Listening before saying it runs: a SIGTERM sent once the line is read must be caught.
    let mut term = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let name = crate::worker::worker_name("worker");
    let jobs = tokio::spawn(crate::worker::run(services.runner(&name), stopped));
    say(&format!("Recoup worker {name} is running background jobs."))?;
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    say("Stopping: finishing the job in hand.")?;
    let _ = stop.send(true);
    jobs.await.context("the job runner panicked")?;
    say("Worker stopped.")
}

fn display_bind(bind: &str, port: u16) -> String {
    let host = bind.rsplit_once(':').map_or(bind, |(h, _)| h);
    format!("{host}:{port}")
}

/// Drops expired sessions and old login attempts once an hour.
fn spawn_housekeeping(services: crate::services::Services) {
    tokio::spawn(async move {
        let mut every_hour = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every_hour.tick().await;
            if let Err(e) = services.auth.prune_sessions().await {
                tracing::warn!(error = %e, "session housekeeping failed");
            }
            if let Err(e) = services.jobs.purge_done().await {
                tracing::warn!(error = %e, "job housekeeping failed");
            }
        }
    });
}

async fn create_user(
    settings: &Settings,
    email: &str,
    name: &str,
    role: &str,
) -> anyhow::Result<()> {
    let password = match std::env::var("RECOUP_PASSWORD") {
        Ok(p) if !p.is_empty() => p,
        _ => {
            let first = rpassword::prompt_password("Password: ").context("reading the password")?;
            let again =
                rpassword::prompt_password("Password again: ").context("reading the password")?;
            if first != again {
                bail!("the two passwords do not match");
            }
            first
        }
    };
    let new = NewUser::parse(email, name, role, &password).map_err(|errors| describe(&errors))?;
    let db = open_database(settings).await?;
    let services = services(db, settings, Arc::new(SystemClock))?;
    match services
        .users
        .create(&SystemActor::CommandLine.actor(), new)
        .await
    {
        Ok(user) => say(&format!(
            "Created {} ({}) with role {}.",
            user.email, user.name, user.role_name
        )),
        Err(UserError::Invalid(errors)) => Err(describe(&errors)),
        Err(e) => Err(anyhow::anyhow!(e)),
    }
}

async fn create_api_key(settings: &Settings, name: &str) -> anyhow::Result<()> {
    let db = open_database(settings).await?;
    let services = services(db, settings, Arc::new(SystemClock))?;
    match services
        .api_keys
        .create(&SystemActor::CommandLine.actor(), name)
        .await
    {
        Ok(created) => {
            say(&format!(
                "Created API key {} (id {}). It is shown only now; store it safely:",
                created.name, created.id
            ))?;
            say(&created.key)
        }
        Err(ApiKeyError::Invalid(errors)) => Err(anyhow::anyhow!(
            "cannot create the API key:\n{}",
            flag_lines(&errors)
        )),
        Err(e) => Err(anyhow::anyhow!(e)),
    }
}

fn flag_lines(errors: &crate::domain::FieldErrors) -> String {
    errors
        .iter()
        .map(|e| format!("  --{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("\n")
}

fn describe(errors: &crate::domain::FieldErrors) -> anyhow::Error {
    let lines: Vec<String> = errors
        .iter()
        .map(|e| format!("  --{}: {}", e.field, e.message))
        .collect();
    anyhow::anyhow!("cannot create the user:\n{}", lines.join("\n"))
}

async fn generate(settings: &Settings, plan: &GeneratePlan) -> anyhow::Result<()> {
    let db = open_database(settings).await?;
    let services = services(db, settings, Arc::new(SystemClock))?;
    let mut shown = std::time::Instant::now();
    let report = services
        .generate(&SystemActor::CommandLine.actor(), plan, |p| {
            if shown.elapsed().as_secs() >= 1 {
                shown = std::time::Instant::now();
                // Progress is for the person watching; a closed stderr stops nothing.
                let _ = writeln!(
                    std::io::stderr(),
                    "generate: {}/{} orders, {} customers, {} rows, {:.0} rows/s",
                    p.orders,
                    p.of,
                    p.customers,
                    p.rows,
                    p.rows_per_second()
                );
            }
        })
        .await
        .map_err(|e| match e {
            GenerateError::Invalid(errors) => {
                anyhow::anyhow!("cannot generate:\n{}", flag_lines(&errors))
            }
            other => anyhow::anyhow!(other),
        })?;
    if report.created_store {
        say("Created the \"Generated Store\" campaign, its products and a test MID.")?;
    }
    say(&format!(
        "Generated {} rows in {:.1} s ({:.0} rows/s):",
        report.rows(),
        report.elapsed.as_secs_f64(),
        report.rows_per_second()
    ))?;
    for (table, rows) in &report.tables {
        say(&format!("  {table:<22} {rows:>10}"))?;
    }
    Ok(())
}
