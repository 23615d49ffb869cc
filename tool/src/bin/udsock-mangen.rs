//! Writes udsock.1, the manual page, from the command line's clap
//! definitions: `udsock-mangen DIR` creates DIR/udsock.1.

use std::path::PathBuf;

use clap::CommandFactory;

#[path = "../cli.rs"]
#[allow(dead_code)]
mod cli;

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(std::env::args_os().nth(1).unwrap_or_else(|| ".".into()));
    std::fs::create_dir_all(&dir)?;
    let cmd = cli::Cli::command();
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut page)?;
    // One section per subcommand, with its own options.
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        // A generator that runs once: leaking its few names is fine.
        let name: &'static str = format!("udsock-{}", sub.get_name()).leak();
        let bin: &'static str = format!("udsock {}", sub.get_name()).leak();
        let sub = sub.clone().name(name).bin_name(bin);
        let mut text = Vec::new();
        let man = clap_mangen::Man::new(sub);
        man.render_name_section(&mut text)?;
        man.render_synopsis_section(&mut text)?;
        man.render_description_section(&mut text)?;
        man.render_options_section(&mut text)?;
        page.extend(retitle(&text, sub_title(name)));
    }
    std::fs::write(dir.join("udsock.1"), page)
}

fn sub_title(name: &str) -> String {
    format!(".SH \"{}\"", name.to_uppercase().replace('-', " "))
}

/// The subcommand's sections, as subsections under one heading.
fn retitle(text: &[u8], title: String) -> Vec<u8> {
    let text = String::from_utf8_lossy(text);
    let mut out = String::new();
    for line in text.lines() {
        if line.starts_with(".TH ") || line.starts_with(".ie ") || line.starts_with(".el ") {
            continue;
        }
        if line == ".SH NAME" {
            out.push_str(&title);
            out.push('\n');
            continue;
        }
        if let Some(rest) = line.strip_prefix(".SH ") {
            out.push_str(".SS ");
            out.push_str(rest);
            out.push('\n');
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.into_bytes()
}
