//! The `dcc` command: development keys, issuing, verifying, and the EU conformance and
//! business-rule test runners. Exit code 0 only when everything asked for passed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context, Result};
use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};

use certificate::issue::{Claims, Issuer};
use certificate::payload::Hcert;
use certificate::qr::{self, RenderOptions};
use certificate::revocation::RevocationList;
use certificate::sign::{self, Es256Signer};
use certificate::trust::{KeyId, TrustList};
use certificate::verify::{NotRun, Report, Step, Verifier};
use certificate::{devkeys, domestic, fs};

#[derive(Parser)]
#[command(name = "dcc", version, about = "EU Digital COVID Certificate tool")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Development keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Sign a JSON payload: prints the HC1 text, optionally writes PNG/SVG QR codes.
    Issue(IssueArgs),
    /// Verify HC1 text or a PNG/JPEG photo of a QR code.
    Verify(VerifyArgs),
    /// Run EU DCC test-vector folders.
    Conformance(ConformanceArgs),
    /// Business rules.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create a development CSCA and DSCs with PKCS#8 keys and a JSON trust list.
    Init {
        /// Output folder.
        #[arg(long, default_value = "dcc-keys")]
        out: PathBuf,
        /// Country code of the CSCA and DSCs.
        #[arg(long, default_value = "DK")]
        country: String,
        /// One DSC for all three types instead of one per type.
        #[arg(long)]
        one_for_all: bool,
        /// DSC validity in days.
        #[arg(long, default_value_t = 730)]
        dsc_days: u64,
        /// Overwrite existing files.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Run business-rule test folders (rule.json + tests/).
    Test {
        /// Folders to search.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
    },
}

#[derive(Args)]
struct IssueArgs {
    /// The DCC payload as JSON (`-` for stdin).
    payload: PathBuf,
    /// PKCS#8 PEM private key of the DSC.
    #[arg(long)]
    key: PathBuf,
    /// The DSC (PEM or DER).
    #[arg(long)]
    cert: PathBuf,
    /// `iss` claim.
    #[arg(long, default_value = "DK")]
    issuer: String,
    /// Days until `exp`.
    #[arg(long, default_value_t = 365)]
    valid_days: i64,
    /// Schema folder to validate the payload against before signing.
    #[arg(long)]
    schemas: Option<PathBuf>,
    /// Value-set folder: refuse codes outside the value sets.
    #[arg(long)]
    value_sets: Option<PathBuf>,
    /// Write the QR code as PNG.
    #[arg(long)]
    png: Option<PathBuf>,
    /// Write the QR code as SVG.
    #[arg(long)]
    svg: Option<PathBuf>,
}

#[derive(Args)]
struct VerifyArgs {
    /// HC1 (EU DCC) or DK1 (Danish domestic pass) text, or a file holding such text or a
    /// PNG/JPEG image (`-` for stdin).
    input: String,
    /// Trust list files (PEM, DER or JSON trust list). Repeatable.
    #[arg(long, required = true)]
    trust: Vec<PathBuf>,
    /// Schema folder.
    #[arg(long)]
    schemas: Option<PathBuf>,
    /// Value-set folder.
    #[arg(long)]
    value_sets: Option<PathBuf>,
    /// Revocation list: JSON {"UCI": [hex...], "COUNTRYCODEUCI": [...], "SIGNATURE": [...]},
    /// or the pass service's {"kids": {kid: {...}}}.
    #[arg(long)]
    revocation: Option<PathBuf>,
    /// Business rules: JSON files holding a rule or an array of rules. Repeatable.
    #[arg(long)]
    rules: Vec<PathBuf>,
    /// Country of verification (for acceptance rules).
    #[arg(long, default_value = "DK")]
    country: String,
    /// Validation clock (RFC 3339); default now.
    #[arg(long)]
    at: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ConformanceArgs {
    /// Folders (or files) of test vectors.
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Schema folder (default: a `dcc-schema` folder beside an ancestor of the first DIR).
    #[arg(long)]
    schemas: Option<PathBuf>,
    /// Known-issues CSV (default: the nearest UPSTREAM-known_issues.csv).
    #[arg(long)]
    known_issues: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Keys {
            command:
                KeysCommand::Init {
                    out,
                    country,
                    one_for_all,
                    dsc_days,
                    force,
                },
        } => keys_init(&out, &country, one_for_all, dsc_days, force),
        Command::Issue(args) => issue(&args),
        Command::Verify(args) => verify(&args),
        Command::Conformance(args) => conformance(&args),
        Command::Rules {
            command: RulesCommand::Test { dirs },
        } => {
            let report = certlogic::ruletest::run_dirs(&dirs);
            println!("{report}");
            Ok(report.failed() == 0)
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn write_new(path: &Path, bytes: &[u8], force: bool, secret: bool) -> Result<()> {
    if path.exists() && !force {
        bail!("{} exists (use --force to overwrite)", path.display());
    }
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = secret;
    Ok(())
}

fn keys_init(
    out: &Path,
    country: &str,
    one_for_all: bool,
    dsc_days: u64,
    force: bool,
) -> Result<bool> {
    let layout = if one_for_all {
        devkeys::DscLayout::OneForAll
    } else {
        devkeys::DscLayout::OnePerType
    };
    let set = devkeys::generate(
        country,
        layout,
        std::time::SystemTime::now(),
        3650,
        dsc_days,
    )?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    write_new(
        &out.join("csca.pem"),
        sign::to_pem(&set.csca.certificate_der, "CERTIFICATE").as_bytes(),
        force,
        false,
    )?;
    write_new(
        &out.join("csca.key.pem"),
        sign::to_pem(&set.csca.private_key_pkcs8, "PRIVATE KEY").as_bytes(),
        force,
        true,
    )?;
    let mut trust = Vec::new();
    for dsc in &set.dscs {
        let name = dsc
            .types
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("-");
        let name = if dsc.types.len() == 3 {
            "all".to_owned()
        } else {
            name
        };
        write_new(
            &out.join(format!("dsc-{name}.pem")),
            sign::to_pem(&dsc.certificate_der, "CERTIFICATE").as_bytes(),
            force,
            false,
        )?;
        write_new(
            &out.join(format!("dsc-{name}.key.pem")),
            sign::to_pem(&dsc.private_key_pkcs8, "PRIVATE KEY").as_bytes(),
            force,
            true,
        )?;
        use base64::Engine as _;
        trust.push(serde_json::json!({
            "kid": KeyId::of_certificate(&dsc.certificate_der).to_base64(),
            "country": country,
            "certificate": base64::engine::general_purpose::STANDARD.encode(&dsc.certificate_der),
        }));
        println!(
            "dsc-{name}: kid {}",
            KeyId::of_certificate(&dsc.certificate_der)
        );
    }
    write_new(
        &out.join("trust-list.json"),
        serde_json::to_string_pretty(&trust)?.as_bytes(),
        force,
        false,
    )?;
    println!(
        "wrote CSCA, {} DSC(s) and trust-list.json to {}",
        set.dscs.len(),
        out.display()
    );
    Ok(true)
}

fn read_input(path: &Path) -> Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)?;
        return Ok(buf);
    }
    Ok(fs::read_file(path)?)
}

fn issue(args: &IssueArgs) -> Result<bool> {
    let payload: serde_json::Value =
        serde_json::from_slice(&read_input(&args.payload)?).context("payload is not JSON")?;
    let hcert = Hcert::from_json(&payload).context("payload")?;
    if let Some(dir) = &args.schemas {
        let schemas = fs::load_schemas(dir)?;
        schemas
            .validate(&hcert.to_json()?)
            .context("payload fails the schema")?;
    }
    if let Some(dir) = &args.value_sets {
        let sets = fs::load_value_sets(dir)?;
        let issues = sets.check(&hcert.to_json()?);
        for i in &issues {
            eprintln!(
                "value set {}: {} {:?} at {}{}",
                i.value_set,
                i.code,
                i.kind,
                i.path,
                if i.advisory { " (advisory)" } else { "" }
            );
        }
        if issues.iter().any(|i| !i.advisory) {
            bail!("payload has codes outside the value sets");
        }
    }
    let key_pem = String::from_utf8(fs::read_file(&args.key)?).context("key is not PEM text")?;
    let cert = fs::read_file(&args.cert)?;
    let signer = Es256Signer::from_pem(&key_pem, &cert)?;
    let mut issuer = Issuer::new(signer);
    let now = Utc::now().timestamp();
    let claims = Claims {
        issuer: args.issuer.clone(),
        issued_at: now,
        expires_at: now + args.valid_days * 86_400,
    };
    let hc1 = issuer.issue(&hcert, &claims)?;
    if let Some(p) = &args.png {
        std::fs::write(p, qr::render_png(hc1.as_str(), RenderOptions::default())?)?;
    }
    if let Some(p) = &args.svg {
        std::fs::write(p, qr::render_svg(hc1.as_str(), RenderOptions::default())?)?;
    }
    println!("{hc1}");
    Ok(true)
}

fn load_rules(paths: &[PathBuf]) -> Result<Vec<certlogic::rules::Rule>> {
    let mut rules = Vec::new();
    for p in paths {
        let doc: serde_json::Value = serde_json::from_slice(&fs::read_file(p)?)
            .with_context(|| format!("{} is not JSON", p.display()))?;
        let items = match doc {
            serde_json::Value::Array(a) => a,
            other => vec![other],
        };
        for item in items {
            rules.push(
                certlogic::rules::Rule::from_json(&item)
                    .map_err(|e| anyhow!("{}: {e}", p.display()))?,
            );
        }
    }
    Ok(rules)
}

fn load_revocation(path: &Path) -> Result<RevocationList> {
    let doc: serde_json::Value = serde_json::from_slice(&fs::read_file(path)?)?;
    Ok(RevocationList::from_document(&doc)?)
}

fn hc1_from_input(input: &str) -> Result<String> {
    if input.starts_with("HC1:") || domestic::is_domestic(input) || input.len() > 4096 {
        return Ok(input.trim().to_owned());
    }
    let path = Path::new(input);
    if input != "-" && !path.exists() {
        // Not a file: treat as (probably malformed) HC1 text, so the prefix step reports it.
        return Ok(input.trim().to_owned());
    }
    let bytes = read_input(path)?;
    let is_png = bytes.starts_with(b"\x89PNG");
    let is_jpeg = bytes.starts_with(&[0xFF, 0xD8, 0xFF]);
    if is_png || is_jpeg {
        return Ok(qr::decode_image(&bytes)?);
    }
    Ok(String::from_utf8(bytes)
        .context("input is neither an image nor text")?
        .trim()
        .to_owned())
}

fn verify(args: &VerifyArgs) -> Result<bool> {
    let hc1 = hc1_from_input(&args.input)?;
    let mut trust = TrustList::new();
    for t in &args.trust {
        trust
            .load(&fs::read_file(t)?)
            .with_context(|| format!("trust list {}", t.display()))?;
    }
    let schemas = args.schemas.as_deref().map(fs::load_schemas).transpose()?;
    let value_sets = args
        .value_sets
        .as_deref()
        .map(fs::load_value_sets)
        .transpose()?;
    let revocation = args
        .revocation
        .as_deref()
        .map(load_revocation)
        .transpose()?;
    let rules = load_rules(&args.rules)?;
    let clock = match &args.at {
        Some(s) => DateTime::parse_from_rfc3339(s)
            .context("--at must be RFC 3339")?
            .with_timezone(&Utc),
        None => Utc::now(),
    };
    if domestic::is_domestic(&hc1) {
        // Schemas, value sets and business rules concern EU DCC payloads only.
        return verify_domestic(args, &hc1, &trust, revocation.as_ref(), clock);
    }
    let mut verifier = Verifier::new(&trust, &args.country).with_rules(&rules);
    if let Some(s) = &schemas {
        verifier = verifier.with_schemas(s);
    }
    if let Some(v) = &value_sets {
        verifier = verifier.with_value_sets(v);
    }
    if let Some(r) = &revocation {
        verifier = verifier.with_revocation(r);
    }
    let report = verifier.verify(&hc1, clock);
    if args.json {
        let mut value = serde_json::to_value(&report)?;
        value["valid"] = serde_json::Value::Bool(report.is_valid());
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print_report(&report);
    }
    Ok(report.is_valid())
}

fn verify_domestic(
    args: &VerifyArgs,
    text: &str,
    trust: &TrustList,
    revocation: Option<&RevocationList>,
    clock: DateTime<Utc>,
) -> Result<bool> {
    let mut verifier = domestic::DomesticVerifier::new(trust);
    if let Some(r) = revocation {
        verifier = verifier.with_revocation(r);
    }
    let result = verifier.verify(text, clock);
    if args.json {
        let value = match &result {
            Ok(pass) => serde_json::json!({"valid": true, "format": "DK1", "pass": pass}),
            Err(e) => serde_json::json!({
                "valid": false, "format": "DK1", "error": e, "message": e.to_string(),
            }),
        };
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(result.is_ok());
    }
    match &result {
        Ok(pass) => {
            println!(
                "VALID (Danish domestic pass, level {})",
                pass.level.number()
            );
            if revocation.is_none() {
                println!("  not run  revocation (not configured)");
            }
            if let domestic::Contents::WithIdentity { nam, dob } = &pass.contents {
                println!("holder:      {} {}", nam.given, nam.family);
                println!("born:        {dob}");
            }
            println!("valid until: {}", pass.valid_until);
            println!("issuer:      {}", pass.issuer);
            println!("issued:      {}", pass.issued_at);
        }
        Err(e) => println!("INVALID (Danish domestic pass): {e}"),
    }
    Ok(result.is_ok())
}

fn line<T: std::fmt::Debug, E: std::fmt::Display>(name: &str, step: &Step<T, E>) {
    match step {
        Step::Passed(_) => println!("  ok       {name}"),
        Step::Failed(e) => println!("  FAILED   {name}: {e}"),
        Step::NotRun(NotRun::NotConfigured) => println!("  not run  {name} (not configured)"),
        Step::NotRun(NotRun::EarlierStepFailed) => {
            println!("  not run  {name} (an earlier step failed)")
        }
    }
}

fn print_report(r: &Report) {
    println!("{}", if r.is_valid() { "VALID" } else { "INVALID" });
    line("prefix", &r.prefix);
    line("base45", &r.base45);
    line("inflate", &r.inflate);
    line("cose", &r.cose);
    line("cwt", &r.cwt);
    line("kid", &r.kid);
    line("signature", &r.signature);
    line("expiry", &r.expiry);
    line("key usage", &r.key_usage);
    line("schema", &r.schema);
    line("value sets (informational)", &r.value_sets);
    line("revocation", &r.revocation);
    line("business rules", &r.rules);
    if let Step::Failed(f) = &r.rules {
        for rule in &f.0 {
            println!(
                "           {}: {}{}",
                rule.identifier,
                rule.description.as_deref().unwrap_or(""),
                rule.error
                    .as_deref()
                    .map(|e| format!(" (error: {e})"))
                    .unwrap_or_default()
            );
        }
    }
    if let Some(d) = &r.decoded {
        let name = |k: &str| {
            d.dcc
                .get("nam")
                .and_then(|n| n.get(k))
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_owned()
        };
        println!("holder:  {} {}", name("gn"), name("fn"));
        println!(
            "born:    {}",
            d.dcc.get("dob").and_then(|v| v.as_str()).unwrap_or("")
        );
        println!("issuer:  {}", d.issuer.as_deref().unwrap_or("?"));
        if let Some(t) = d.issued_at {
            println!("issued:  {t}");
        }
        if let Some(t) = d.expires_at {
            println!("expires: {t}");
        }
    }
}

fn find_sibling(start: &Path, name: &str) -> Option<PathBuf> {
    let start = std::fs::canonicalize(start).ok()?;
    start.ancestors().map(|a| a.join(name)).find(|p| p.is_dir())
}

fn conformance(args: &ConformanceArgs) -> Result<bool> {
    let schema_dir = args
        .schemas
        .clone()
        .or_else(|| find_sibling(&args.dirs[0], "dcc-schema"));
    let schemas = match &schema_dir {
        Some(d) => Some(fs::load_schemas(d)?),
        None => {
            eprintln!("warning: no schema folder found; EXPECTEDSCHEMAVALIDATION is skipped");
            None
        }
    };
    let known = match &args.known_issues {
        Some(p) => Some(certificate::conformance::parse_known_issues(
            &String::from_utf8_lossy(&fs::read_file(p)?),
        )),
        None => None,
    };
    let report = fs::run_conformance(&args.dirs, schemas.as_ref(), known.as_deref())?;
    println!("{report}");
    Ok(report.failed() == 0)
}
