"""Forms of the portal: input parsing and conversion to the engine's canonical values."""
