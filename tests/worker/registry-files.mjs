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
