// registry-files.mjs - the files the registry's tests publish (docs/registry.md): a formula as
// local Gas Town writes them (variables, steps and their needs) and an agent config.

// The formula "release" at version, extra appended to its file.
export const release = (version, extra = "") => `
formula = "release"
type = "workflow"
version = "${version}"
description = "Cut a release: bump, changelog, tag"

[vars.version]
description = "The version to release"
required = true

[vars.branch]
description = "Where to release from"
default = "main"

[[steps]]
id = "bump"
title = "Bump to {{version}}"
description = "Set the version to {{version}} on {{ branch }}."

[[steps]]
id = "changelog"
title = "Write the changelog for {{version}}"
needs = ["bump"]

[[steps]]
id = "tag"
title = "Tag v{{version}}"
needs = ["bump", "changelog"]
${extra}`;

export const reviewer = `
config = "careful-reviewer"
version = "1.0.0"
description = "Reviews slowly and says why"
runtime = "scripted"

[persona]
title = "Careful reviewer"
overlay = "Read every changed line before you approve."
model = "claude-sonnet-4-5"
allowed_tools = ["Read", "Grep"]
gates = ["make test"]
`;

// A formula shaped as local Gas Town's own are (steveyegge/beads' .beads/formulas/*.formula.toml,
// read as a reference and written anew here): comments, a whole-number version, phase, multi-line
// descriptions, a variable with an enum and one with a pattern, steps with a bead type and their
// acceptance, a gate as a [steps.gate] table after its step, and a fan-in.
export const shipLocal = `# Ship: prep, wait for CI, verify, announce.
#
# Phases: prep -> await-ci (gate) -> verify-* (parallel) -> announce (fan-in)

formula = "ship-local"
description = """
Ship a release the way the town's own formulas do.

Usage: gt formula run ship-local --var version=1.2.3
"""
type = "workflow"
phase = "vapor"  # a wisp in local Gas Town
version = 1

[vars.version]
description = "The version to ship"
required = true
pattern = "^[0-9]+\\\\.[0-9]+\\\\.[0-9]+$"

[vars.channel]
description = "Where to announce"
default = "changelog"
enum = ["changelog", "blog", "none"]

# =============================================================================
# Phase 1
# =============================================================================

[[steps]]
id = "prep"
title = "Prepare {{version}}"
type = "chore"
description = """
Bump every version file to {{version}}.

\`\`\`bash
grep -rn 'version = ' .
\`\`\`
"""
acceptance = "All version files say {{version}}"

[[steps]]
id = "await-ci"
title = "Await CI for v{{version}}"
needs = ["prep"]
description = "Gate: wait for release.yml."

[steps.gate]
type = "gh:run"
id = "release.yml"
timeout = "30m"

[[steps]]
id = "verify-npm"
title = "Verify npm has {{version}}"
needs = ["await-ci"]

[[steps]]
id = "verify-pypi"
title = "Verify PyPI has {{version}}"
needs = ["await-ci"]

[[steps]]
id = "announce"
title = "Announce {{version}} on the {{channel}}"
needs = ["verify-npm", "verify-pypi"]
`;
