//! `--provider`: the names `--help` and the shell completions list, read
//! with the library's own parser.

use std::ffi::OsStr;
use std::sync::OnceLock;

use clap::builder::{EnumValueParser, PossibleValue, TypedValueParser};
use clap::ValueEnum;
use mjhook::Provider;

/// Every provider's name, from the library's list (so help cannot fall
/// behind it), comma-separated.
pub fn names() -> String {
    let names: Vec<&str> = Provider::ALL.iter().map(|p| p.as_str()).collect();
    names.join(", ")
}

/// A provider named on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProviderArg(pub Provider);

impl ValueEnum for ProviderArg {
    fn value_variants<'a>() -> &'a [Self] {
        // Built from the library's list, so a provider added there is
        // offered here without a change.
        static VARIANTS: OnceLock<Vec<ProviderArg>> = OnceLock::new();
        VARIANTS.get_or_init(|| Provider::ALL.iter().copied().map(ProviderArg).collect())
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.0.as_str()))
    }
}

/// Parses with `Provider::from_str`, which also takes `midjourney-api` and
/// any case; a name it refuses gets clap's usual error listing the names.
///
/// Named in each `#[arg(value_parser = ProviderParser)]`: for a type that is
/// also a `ValueEnum`, clap's inference would pick `EnumValueParser`, which
/// knows only the exact names.
#[derive(Clone, Debug)]
pub struct ProviderParser;

impl TypedValueParser for ProviderParser {
    type Value = ProviderArg;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<ProviderArg, clap::Error> {
        match value.to_str().map(str::parse::<Provider>) {
            Some(Ok(provider)) => Ok(ProviderArg(provider)),
            _ => EnumValueParser::<ProviderArg>::new().parse_ref(cmd, arg, value),
        }
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            ProviderArg::value_variants()
                .iter()
                .filter_map(ValueEnum::to_possible_value),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_library_provider_is_offered_and_parsed() {
        let cmd = clap::Command::new("t");
        for provider in Provider::ALL {
            let offered = ProviderArg(provider).to_possible_value();
            assert_eq!(
                offered.as_ref().map(PossibleValue::get_name),
                Some(provider.as_str())
            );
            let parsed = ProviderParser.parse_ref(&cmd, None, OsStr::new(provider.as_str()));
            assert_eq!(parsed.ok(), Some(ProviderArg(provider)));
        }
        assert_eq!(ProviderArg::value_variants().len(), Provider::ALL.len());
        let hyphen = ProviderParser.parse_ref(&cmd, None, OsStr::new("Midjourney-API"));
        assert_eq!(hyphen.ok(), Some(ProviderArg(Provider::MidjourneyApi)));
        assert!(ProviderParser
            .parse_ref(&cmd, None, OsStr::new("discord"))
            .is_err());
    }
}
