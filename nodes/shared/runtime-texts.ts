/**
 * Node-RED glue: the runtime texts (errors, status, warnings) of every node are in plivo-play's
 * catalog. Node-RED files each node set's catalog under "<package>/<set>", and a node's `RED._`
 * looks in its own set's: the other nodes name plivo-play's outright.
 */
import path from 'node:path';
import type { NodeAPI } from 'node-red';
import { useTranslator } from '../lib/common/messages';

const PACKAGE_NAME = (require(path.join(__dirname, '..', '..', '..', 'package.json')) as { name: string }).name;
const CATALOG = `${PACKAGE_NAME}/plivo-play:plivo-play.`;

export type RuntimeText = (key: string, params?: Record<string, string | number>) => string;

/** Node-RED's translator for the runtime texts (`key` is under plivo-play), also given to lib/ for its errors. */
export function runtimeTexts(RED: NodeAPI): RuntimeText {
  const translate: RuntimeText = (key, params) => RED._(`${CATALOG}${key}`, params);
  useTranslator((key, params) => {
    const full = `errors.${key}`;
    const translated = translate(full, params);
    return translated.endsWith(full) ? undefined : translated;
  });
  return translate;
}
