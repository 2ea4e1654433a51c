/**
 * An offline MMODA dispatcher for tests, teaching and demos.
 *
 * @module
 */
