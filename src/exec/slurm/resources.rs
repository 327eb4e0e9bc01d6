//! What a SLURM job asks for: partition, account, time, memory, CPUs and GPUs.

use crate::value::Value;
use std::collections::BTreeMap;

/// Each field is optional: unset fields are left to the cluster's defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Resources {
    pub partition: Option<String>,
    pub account: Option<String>,
    /// In SLURM's own format: `30`, `2:00:00`, `1-00:00:00`.
    pub time: Option<String>,
    /// In SLURM's own format: `4G`, `500M`.
    pub memory: Option<String>,
    pub cpus: Option<u32>,
    pub gpus: Option<u32>,
}

impl Resources {
    /// The settings of a `slurm = { ... }` block (empty strings and zero counts mean unset).
    pub fn from_block(block: &BTreeMap<String, Value>) -> Resources {
        let text = |k: &str| match block.get(k) {
            Some(Value::Str(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        };
        let count = |k: &str| match block.get(k) {
            Some(Value::Int(n)) if *n > 0 => u32::try_from(*n).ok(),
            _ => None,
        };
        Resources {
            partition: text("partition"),
            account: text("account"),
            time: text("time"),
            memory: text("memory"),
            cpus: count("cpus"),
            gpus: count("gpus"),
        }
    }

    /// These settings, with every field `over` sets taking its place.
    pub fn overridden_by(&self, over: &Resources) -> Resources {
        Resources {
            partition: over.partition.clone().or_else(|| self.partition.clone()),
            account: over.account.clone().or_else(|| self.account.clone()),
            time: over.time.clone().or_else(|| self.time.clone()),
            memory: over.memory.clone().or_else(|| self.memory.clone()),
            cpus: over.cpus.or(self.cpus),
            gpus: over.gpus.or(self.gpus),
        }
    }

    /// The `sbatch` options that ask for them.
    pub fn sbatch_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(p) = &self.partition {
            args.push(format!("--partition={p}"));
        }
        if let Some(a) = &self.account {
            args.push(format!("--account={a}"));
        }
        if let Some(t) = &self.time {
            args.push(format!("--time={t}"));
        }
        if let Some(m) = &self.memory {
            args.push(format!("--mem={m}"));
        }
        if let Some(c) = self.cpus {
            args.push(format!("--cpus-per-task={c}"));
        }
        if let Some(g) = self.gpus {
            args.push(format!("--gpus={g}"));
        }
        args
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stage_block_overrides_the_pipeline_settings_field_by_field() {
        let base = Resources {
            partition: Some("cpu".into()),
            cpus: Some(2),
            time: Some("1:00:00".into()),
            ..Default::default()
        };
        let mut block = BTreeMap::new();
        block.insert("cpus".to_string(), Value::Int(8));
        block.insert("gpus".to_string(), Value::Int(1));
        block.insert("partition".to_string(), Value::Str(String::new()));
        let merged = base.overridden_by(&Resources::from_block(&block));
        assert_eq!(
            merged.sbatch_args(),
            ["--partition=cpu", "--time=1:00:00", "--cpus-per-task=8", "--gpus=1"]
        );
    }
}
