/**
 * The `oda` command line.
 *
 * @module
 */
