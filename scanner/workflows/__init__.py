"""What people do with the inventory: find a person's items, answer an access request,
review and mark findings, plan and carry out deletion, build report data, fill in the
checklist, run a self-check, export JSON Lines. Each module is one workflow, a library
function the CLI (and the web app) call."""
