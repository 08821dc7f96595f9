import { LOG_LEVELS } from '../server/logger.js';
import { oneOf, setting } from './setting.js';

/** The `--log-level` setting of the commands that write log lines (serve, demo). */
export const LOG_LEVEL = {
  logLevel: setting(oneOf('log-level', LOG_LEVELS).default('info'), {
    flag: 'log-level',
    placeholder: 'level',
    help: 'The log lines (JSON, on standard error) to write: debug, info, warn or error, each with those more severe.',
  }),
};
