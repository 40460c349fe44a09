pub fn run(_a: super::args::WatchArgs) -> anyhow::Result<drctl_core::Exit> { todo!() }
