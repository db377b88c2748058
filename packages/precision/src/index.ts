/**
 * @mixt/precision — not implemented yet (issue 4). The package exists so the workspace, its
 * build and its exports map are in place; it exports nothing today.
 */
export {};
