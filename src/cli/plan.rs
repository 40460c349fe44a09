//! `drctl plan`: the resolved plan, nothing executed.

use std::collections::BTreeMap;

use crate::error::Exit;
use crate::plan::{Plan, RunMode};
use crate::report::plan_view;

use super::args::{Format, PlanArgs};
use super::load::load_plan;

pub fn run(a: PlanArgs) -> anyhow::Result<Exit> {
    let mode = if a.drill {
        RunMode::Drill
    } else {
        RunMode::Run
    };
    let plan: Plan = load_plan(&a.target, mode, |_| "<run-id>".to_string())?;
    let view = plan_view::build(&plan, &BTreeMap::new());
    match a.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&view)?),
        _ => print!("{}", plan_view::render_text(&view)),
    }
    Ok(Exit::Success)
}
