/**
 * @mixprec/backend-tfjs — not implemented yet (issue 15). The package exists so the workspace, its
 * build and its exports map are in place; it exports nothing today.
 */
export {};
