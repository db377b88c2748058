/**
 * @mixt/optim-flash — not implemented yet (issue 5). The package exists so the workspace, its
 * build and its exports map are in place; it exports nothing today.
 */
export {};
