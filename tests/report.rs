//! `rnx report` through the real binary: every stage has a section, every declared figure is
//! drawn with data in it, the page needs no network, and a 27-member sweep is drawn as small
//! multiples.

mod common;

use common::{Project, ok, stderr};

const PIPELINE: &str = r#"
pipeline pictures { seed = 2 }
task wm = working_memory { items = 2 }
task reach = delayed_reach { hold = 100 ms  delay_min = 100 ms  delay_max = 200 ms  reaction = 50 ms  movement = 200 ms  post = 50 ms  dt = 20 ms }
model net = ctrnn { units = 24  tau = 60 ms  activation = tanh }
loss fit_loss = mse + 1e-4 * rate_l2
data observed = swap_mixture(wm) { trials = 300  kappa = sweep(5, 20) }
train fit = train(net, reach, fit_loss) { steps = 60  batch = 16  lr = 0.005  log_every = 10 }
analysis ev = evaluate(fit, reach) { trials = 32 }
analysis pcs = pca(ev) { components = 3 }
analysis fps = fixed_points(fit, reach) { epoch = "delay"  inits = 4  max_iters = 300  trials = 16 }
analysis rot = jpca(fit, reach) { trials = 32  components = 4 }
analysis noise = robustness(fit, reach) { input_noise = [0, 0.5, 1]  trials = 32 }
analysis table = compare([ev]) { table = "metrics" }
"#;

/// `(figure title, its data-points count, its SVG)` for each figure of a section.
fn figures(html: &str, section: &str) -> Vec<(String, usize, String)> {
    let start = html
        .find(&format!("<section id=\"{section}\">"))
        .unwrap_or_else(|| panic!("no section for {section}"));
    let end = html[start..].find("</section>").map_or(html.len(), |e| start + e);
    let body = &html[start..end];
    body.split("<figure data-figure=\"")
        .skip(1)
        .map(|f| {
            let title = f.split('"').next().unwrap_or("").to_string();
            let points = f
                .split("data-points=\"")
                .nth(1)
                .and_then(|p| p.split('"').next())
                .and_then(|p| p.parse().ok())
                .unwrap_or(0);
            let svg = f.split("</figure>").next().unwrap_or("").to_string();
            (title, points, svg)
        })
        .collect()
}

/// Data points in an SVG: polyline vertices, circles and rectangles.
fn svg_marks(svg: &str) -> usize {
    let polyline: usize = svg
        .split("<polyline")
        .skip(1)
        .map(|p| {
            p.split("points=\"")
                .nth(1)
                .and_then(|q| q.split('"').next())
                .map_or(0, |q| q.split_whitespace().count())
        })
        .sum();
    polyline + svg.matches("<circle").count() + svg.matches("<rect").count()
}

#[test]
fn the_report_has_every_stage_and_every_declared_figure_with_data() {
    let p = Project::new();
    p.write("r.rnx", PIPELINE);
    let run = p.rnx(&["run", "r.rnx", "--report", "r.html"]);
    ok(&run);
    assert!(stderr(&run).contains("report: 8 sections"), "{}", stderr(&run));
    let html = std::fs::read_to_string(p.path("r.html")).unwrap();
    let expected: &[(&str, &[&str])] = &[
        ("observed", &["Response errors", "Swap rate against cue distance"]),
        ("fit", &["Training loss"]),
        (
            "ev",
            &[
                "Performance",
                "Trial-averaged trajectories in the top two PCs",
                "Variance of the unit rates explained",
            ],
        ),
        ("pcs", &["Trajectories in the top two PCs", "Variance explained"]),
        ("fps", &["Fixed points in PC space", "Jacobian eigenvalues"]),
        ("rot", &["The rotation plane"]),
        ("noise", &["Performance against extra noise"]),
        ("table", &["Compared stages"]),
    ];
    for (section, titles) in expected {
        let figs = figures(&html, section);
        let got: Vec<&str> = figs.iter().map(|(t, _, _)| t.as_str()).collect();
        assert_eq!(&got, titles, "figures of {section}");
        for (title, points, svg) in &figs {
            assert!(*points > 0, "{section}: `{title}` has no data");
            assert!(svg_marks(svg) > 0, "{section}: `{title}` draws nothing");
        }
    }
    // The sweep family is one section, its two members overlaid with a legend naming them.
    let (_, _, svg) = &figures(&html, "observed")[0];
    assert!(
        svg.contains("kappa=5") && svg.contains("kappa=20"),
        "legend names the members"
    );
    // Fixed points are drawn over the trajectories they were sampled from.
    let (_, _, svg) = &figures(&html, "fps")[0];
    assert!(svg.contains("trajectories (one per condition)") && svg.contains("stable="));
    // Self-contained: no scripts, no external resources.
    assert!(!html.contains("<script") && !html.contains(" src=") && !html.contains("<link"));
    // Parameters, keys and run times are shown.
    assert!(html.contains("<summary>parameters</summary>") && html.contains("run time"));
}

#[test]
fn a_27_member_sweep_is_drawn_as_small_multiples() {
    let p = Project::new();
    let kappas: Vec<String> = (1..=27).map(|k| k.to_string()).collect();
    p.write(
        "s.rnx",
        &format!(
            "pipeline wide {{ seed = 1 }}\ntask wm = working_memory {{ items = 2 }}\ndata observed = swap_mixture(wm) {{ trials = 100  kappa = sweep({}) }}\n",
            kappas.join(", ")
        ),
    );
    ok(&p.rnx(&["run", "s.rnx"]));
    let out = p.rnx(&["report", "s.rnx", "-o", "s.html", "--svg-dir", "svgs"]);
    ok(&out);
    for name in [
        "observed-response-errors.svg",
        "observed-swap-rate-against-cue-distance.svg",
    ] {
        let svg = std::fs::read_to_string(p.path("svgs").join(name)).expect("--svg-dir writes each figure");
        assert!(svg.starts_with("<svg"), "{name}");
    }
    let html = std::fs::read_to_string(p.path("s.html")).unwrap();
    let figs = figures(&html, "observed");
    assert_eq!(figs.len(), 2);
    for (_, _, svg) in &figs {
        for k in &kappas {
            assert!(svg.contains(&format!("\nkappa={k}\n")), "a panel titled kappa={k}");
        }
    }
}

#[test]
fn claims_open_the_report_and_replicates_are_drawn_as_a_mean_with_a_band() {
    let p = Project::new();
    p.write(
        "r.rnx",
        r#"
pipeline seeds { seed = 4 }
task wm = working_memory { items = 2 }
data observed = swap_mixture(wm) { trials = 300  kappa = sweep(5, 20)  replicates = 3 }
analysis curve = swap_curve(observed) { bins = 4 }
claim swaps_seen = at_least(curve[seed = *]) { column = "p_swap"  above = 0.05 }
"#,
    );
    ok(&p.rnx(&["run", "r.rnx"]));
    ok(&p.rnx(&["report", "r.rnx", "-o", "r.html"]));
    let html = std::fs::read_to_string(p.path("r.html")).unwrap();
    let claims = html.find("<section id=\"claims\">").expect("a claims section");
    let first_stage = html.find("<section id=\"observed\">").expect("a section per stage");
    assert!(claims < first_stage, "claims come first");
    let section = &html[claims..first_stage];
    assert!(section.contains("swaps_seen") && section.contains(" of 3"), "{section}");
    let figs = figures(&html, "curve");
    let (_, _, svg) = figs
        .iter()
        .find(|(title, _, _)| title == "Swap rate against cue distance")
        .expect("the swap curve");
    assert!(svg.contains("mean of 3 seeds, 95 % bootstrap CI"), "{svg}");
    assert!(svg.matches("<polygon").count() >= 2, "a band per kappa");
    assert!(svg.contains("kappa=5") && svg.contains("kappa=20"), "a curve per cell");
    assert!(!svg.contains("seed=2"), "not a curve per network");
}

/// The Debian Chromium, if installed (CI installs it and sets `RNX_REQUIRE_CHROMIUM=1`).
fn chromium() -> Option<&'static str> {
    let found = ["chromium", "chromium-browser"].into_iter().find(|c| {
        std::process::Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("RNX_REQUIRE_CHROMIUM").is_none(),
            "RNX_REQUIRE_CHROMIUM is set but chromium is not installed"
        );
        eprintln!("skipped: no chromium (Debian: apt-get install chromium)");
    }
    found
}

#[test]
fn the_report_opens_in_headless_chromium_without_console_errors() {
    let Some(browser) = chromium() else { return };
    let p = Project::new();
    p.write("r.rnx", PIPELINE);
    ok(&p.rnx(&["run", "r.rnx", "--report", "r.html"]));
    // Kept for a person to look at: target/tmp/report.png.
    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("report.png");
    let _ = std::fs::remove_file(&shot);
    let profile = p.path("chromium-profile");
    let out = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1300,4000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", p.path("r.html").display()))
        .output()
        .expect("run chromium");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let log = String::from_utf8_lossy(&out.stderr);
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:?}");
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(png.len() > 10_000 && png.starts_with(b"\x89PNG"), "a real screenshot");
}
