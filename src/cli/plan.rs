//! `drctl plan`: the resolved plan, nothing executed.

use std::collections::BTreeMap;

use drctl_core::RunMode;
use drctl_report::plan_view;

use super::args::{Format, PlanArgs};
use super::context;
use crate::error::Exit;

pub fn run(a: PlanArgs) -> anyhow::Result<Exit> {
    let mode = if a.drill {
        RunMode::Drill
    } else {
        RunMode::Run
    };
    let target = context::target(&a.target)?;
    let plan = context::load(&target, mode, |_| "<run-id>".to_string())?;
    let view = plan_view::build(&plan, &BTreeMap::new());
    match a.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&view)?),
        _ => print!("{}", plan_view::render_text(&view)),
    }
    Ok(Exit::Success)
}
