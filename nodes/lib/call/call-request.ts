/**
 * Turns the plivo-call node's settings and an incoming msg.payload into one validated request of
 * Plivo's live call control: hang up, transfer, send digits, record, stop recording, a live call's
 * details, the live calls; and of the calls Plivo holds queued: cancel a call request, the queued calls. No Node-RED here: unit tests call it directly. Settings work as plivo
 * play's (play-request.ts): '' takes the field from the message, a set value wins, a typed source
 * arrives already read. Settings and msg.payload fields carry Plivo's parameter names.
 *
 * Requests and their forms follow Plivo's official Node SDK (plivo/dist/resources/call.js:
 * calls.hangup, transfer, sendDigits, record, stopRecording, liveCalls.get, liveCalls.list, cancel, listQueuedCalls);
 * allowed values follow Plivo's pages, cited at each check.
 */
import { InputError } from '../common/errors';
import { parseLength, parseUrl } from './play-request';
import {
  aLegOnly, choiceParser, isRecord, label, namedOperation, pick, pickCallUuid, pickOperation, settingText, type Source, type TypedValues,
} from './fields';

export const CALL_OPERATIONS = [
  'hangup', 'transfer', 'send-digits', 'record', 'stop-recording', 'live-details', 'live-calls', 'cancel-request', 'queued-calls',
] as const;
/** The operations about no call: the account's live or queued calls, a request not yet a call. */
const NOT_ABOUT_A_CALL: readonly CallOperation[] = ['live-calls', 'cancel-request', 'queued-calls'];
export type CallOperation = (typeof CALL_OPERATIONS)[number];

/** A recording's parameters, a call's or a conference's (Plivo's record pages name the same ones). */
export const RECORDING_FIELDS = ['file_format', 'transcription_type', 'transcription_url', 'transcription_method', 'callback_url', 'callback_method'] as const;

/** A recording's settings as saved in the flow. */
export type RecordingSettings = Partial<Record<(typeof RECORDING_FIELDS)[number], unknown>>;

/** The node's settings as saved in the flow; '' (or absent) means "from the message". Operation 'msg': msg.payload.operation. */
export interface CallSettings extends RecordingSettings {
  operation?: unknown;
  callUuid?: unknown;
  legs?: unknown;
  aleg_url?: unknown;
  aleg_method?: unknown;
  bleg_url?: unknown;
  bleg_method?: unknown;
  digits?: unknown;
  leg?: unknown;
  time_limit?: unknown;
  URL?: unknown;
  call_direction?: unknown;
  from_number?: unknown;
  to_number?: unknown;
  request_uuid?: unknown;
}

/** The parameters each operation sends besides the call UUID, by Plivo's names. */
export const OPERATION_FIELDS: Record<CallOperation, readonly (keyof CallSettings)[]> = {
  hangup: [],
  transfer: ['legs', 'aleg_url', 'aleg_method', 'bleg_url', 'bleg_method'],
  'send-digits': ['digits', 'leg'],
  record: ['time_limit', ...RECORDING_FIELDS],
  'stop-recording': ['URL'],
  'live-details': [],
  'live-calls': ['call_direction', 'from_number', 'to_number'],
  'cancel-request': ['request_uuid'],
  'queued-calls': [],
};

/** The settings that can be read from a typed source, saved with a `<field>Type` beside them. */
export const CALL_TYPED_FIELDS = ['callUuid', ...new Set(Object.values(OPERATION_FIELDS).flat())] as const;

/**
 * The settings a message's request reads: the call UUID and its operation's fields. Undefined
 * when the operation is not known yet (from a message that names none, or a wrong one): then all.
 */
export function fieldsForOperation(settings: CallSettings, payload: unknown): readonly string[] | undefined {
  const operation = namedOperation(settings.operation, payload, CALL_OPERATIONS);
  if (operation === undefined) return undefined;
  return NOT_ABOUT_A_CALL.includes(operation) ? OPERATION_FIELDS[operation] : ['callUuid', ...OPERATION_FIELDS[operation]];
}

/** The request, ready for the client: `path` is under /v1/Account/{auth_id}/. */
export interface CallOperationRequest {
  operation: CallOperation;
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  /** The call it is for; none for the live and queued calls, or a call request. */
  callUuid?: string;
  /** A JSON body, as the SDK sends it. */
  body?: Record<string, string | number>;
  /** Query parameters (live details, live and queued calls). */
  query?: Record<string, string>;
}

export interface BuiltCallOperation {
  request: CallOperationRequest;
  /** msg.payload fields that were present but shadowed by the node's settings. */
  ignoredFields: string[];
}

/**
 * Plivo's answer to each of these is either done or not done: an operation that changes the call
 * (hang up, transfer, digits, start recording) or cancels a request is sent at most once, so a
 * reset or timeout after it may have arrived is not tried again (a second cancel would answer 404
 * for one that worked). Stopping a recording and reading are safe to repeat.
 */
export function sentAtMostOnce(operation: CallOperation): boolean {
  return operation === 'hangup' || operation === 'transfer' || operation === 'send-digits' || operation === 'record' || operation === 'cancel-request';
}

const parseOperation = choiceParser(CALL_OPERATIONS, 'operation-invalid');
// https://www.plivo.com/docs/voice/api/call/transfer-a-call: legs aleg (default), bleg or both; methods GET or POST (default POST).
const parseLegs = choiceParser(['aleg', 'bleg', 'both'] as const, 'legs-invalid');
const parseMethod = choiceParser(['GET', 'POST'] as const, 'method-invalid');
// Send digits (https://www.plivo.com/docs/voice/api/call/, and the SDK's sendDigits): leg aleg (default) or bleg.
const parseLeg = choiceParser(['aleg', 'bleg'] as const, 'leg-invalid');
// https://www.plivo.com/docs/voice/api/call/record-calls/start-recording-a-call and .../conference/record-a-conference:
// mp3 (default) or wav; transcription "auto".
const parseFileFormat = choiceParser(['mp3', 'wav'] as const, 'file-format-invalid');
const parseTranscriptionType = choiceParser(['auto'] as const, 'transcription-type-invalid');
// Retrieve all live calls (https://www.plivo.com/docs/voice/api/call/): call_direction inbound or outbound.
const parseDirection = choiceParser(['inbound', 'outbound'] as const, 'direction-invalid');

/**
 * Digits as Plivo's Send digits page (under https://www.plivo.com/docs/voice/api/call/) allows them: 0-9, * and #, with w (half a second) and W
 * (a second) to wait between them. At most 256: past any real menu, short of an absurd request.
 */
const DIGITS = /^[0-9*#wW]{1,256}$/;
const REQUEST_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A phone number or SIP endpoint filter for the live list: digits with an optional +, or a SIP user. */
const NUMBER_FILTER = /^\+?[0-9A-Za-z_.@:-]{1,64}$/;

/**
 * A request UUID, as Make a call answers it (`request_uuid`) and its callbacks send it
 * (`RequestUUID`): one, in the call UUIDs' form (Plivo's "Cancel a queued call" page). A list (a
 * call placed to several numbers) is one request each: the error says so.
 */
function parseRequestUuid(value: unknown, source: Source): string {
  const uuid = typeof value === 'string' ? value.trim() : undefined;
  if (uuid === undefined || !REQUEST_UUID.test(uuid)) {
    throw new InputError(source.field, value, Array.isArray(value) ? 'request-uuid-list' : 'request-uuid-invalid', { where: label(source) });
  }
  return uuid;
}

function parseDigits(value: unknown, source: Source): string {
  const digits = typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? String(value)
    : typeof value === 'string' ? value.trim() : undefined;
  if (digits === undefined || !DIGITS.test(digits)) throw new InputError(source.field, value, 'digits-invalid', { where: label(source) });
  return digits;
}

function parseNumberFilter(value: unknown, source: Source): string {
  const number = typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? String(value)
    : typeof value === 'string' ? value.trim() : undefined;
  if (number === undefined || !NUMBER_FILTER.test(number)) throw new InputError(source.field, value, 'number-invalid', { where: label(source) });
  return number;
}

/** The checks of a recording's parameters, a call's or a conference's. */
export const RECORDING_PARSERS: Record<keyof RecordingSettings, (value: unknown, source: Source) => string> = {
  file_format: parseFileFormat,
  transcription_type: parseTranscriptionType,
  transcription_url: parseUrl,
  transcription_method: parseMethod,
  callback_url: parseUrl,
  callback_method: parseMethod,
};

const PARSERS: Record<string, (value: unknown, source: Source) => string | number> = {
  legs: parseLegs,
  aleg_url: parseUrl,
  aleg_method: parseMethod,
  bleg_url: parseUrl,
  bleg_method: parseMethod,
  digits: parseDigits,
  leg: parseLeg,
  // Plivo's default is 60 s; at most a call's life, as Play's length.
  time_limit: parseLength,
  ...RECORDING_PARSERS,
  URL: parseUrl,
  call_direction: parseDirection,
  from_number: parseNumberFilter,
  to_number: parseNumberFilter,
  request_uuid: parseRequestUuid,
};

/** The operation's parameters that were given, each validated. */
function pickParameters(
  operation: CallOperation, settings: CallSettings, fields: Record<string, unknown>, ignored: string[], typed: TypedValues,
): Record<string, string | number> {
  const parameters: Record<string, string | number> = {};
  for (const name of OPERATION_FIELDS[operation]) {
    const picked = pick(name, settingText(settings[name]), fields, name, ignored, typed[name]);
    if (picked) parameters[name] = PARSERS[name](picked.value, picked.source);
  }
  return parameters;
}

/** A transfer names where each leg it moves goes: Plivo requires aleg_url for aleg or both, bleg_url for bleg or both. */
function checkTransfer(parameters: Record<string, string | number>): void {
  const legs = parameters.legs ?? 'aleg';
  if (legs !== 'bleg' && parameters.aleg_url === undefined) throw new InputError('aleg_url', undefined, 'transfer-url-missing', { legs, url: 'aleg_url' });
  if (legs !== 'aleg' && parameters.bleg_url === undefined) throw new InputError('bleg_url', undefined, 'transfer-url-missing', { legs, url: 'bleg_url' });
}

export function buildCallOperation(settings: CallSettings, payload: unknown, typed: TypedValues = {}): BuiltCallOperation {
  const fields = isRecord(payload) ? payload : {};
  const ignoredFields: string[] = [];
  const { operation } = pickOperation(settings.operation, payload, ignoredFields, parseOperation, 'operation-missing');
  const needsCall = !NOT_ABOUT_A_CALL.includes(operation);
  const callUuidSetting = settingText(settings.callUuid);
  if (needsCall && !isRecord(payload) && callUuidSetting === '' && !typed.callUuid) {
    throw new InputError('payload', payload, 'payload-not-object', { needed: 'call_uuid' });
  }
  const callUuid = needsCall ? pickCallUuid(callUuidSetting, fields, ignoredFields, typed) : undefined;
  const parameters = pickParameters(operation, settings, fields, ignoredFields, typed);
  const call = `Call/${callUuid ?? ''}/`;
  const has = Object.keys(parameters).length > 0;
  let request: CallOperationRequest;
  switch (operation) {
    case 'hangup':
      request = { operation, method: 'DELETE', path: call, callUuid };
      break;
    case 'transfer':
      checkTransfer(parameters);
      request = { operation, method: 'POST', path: call, callUuid, body: parameters };
      break;
    case 'send-digits':
      if (parameters.digits === undefined) throw new InputError('digits', undefined, 'digits-missing');
      request = { operation, method: 'POST', path: `${call}DTMF/`, callUuid, body: parameters };
      break;
    case 'record':
      request = { operation, method: 'POST', path: `${call}Record/`, callUuid, body: parameters };
      break;
    case 'stop-recording':
      request = { operation, method: 'DELETE', path: `${call}Record/`, callUuid, ...(has ? { body: parameters } : {}) };
      break;
    case 'live-details':
      request = { operation, method: 'GET', path: call, callUuid, query: { status: 'live' } };
      break;
    case 'cancel-request':
      if (parameters.request_uuid === undefined) {
        if (!isRecord(payload)) throw new InputError('payload', payload, 'payload-not-object', { needed: 'request_uuid' });
        throw new InputError('request_uuid', undefined, 'request-uuid-missing');
      }
      request = { operation, method: 'DELETE', path: `Request/${parameters.request_uuid}/` };
      break;
    case 'queued-calls':
      request = { operation, method: 'GET', path: 'Call/', query: { status: 'queued' } };
      break;
    default:
      request = { operation, method: 'GET', path: 'Call/', query: { ...parameters as Record<string, string>, status: 'live' } };
  }
  return { request, ignoredFields };
}

/**
 * Whether Plivo's 404 for the request means the call has ended: for a hang-up, a transfer, a
 * recording started and digits sent to the call itself (the A leg). Not for a stop (there may
 * be nothing to stop), nor for live details, whose 404 says only that the call is not live now
 * (Plivo's "Retrieve a live call" page), nor for anything sent to a B leg.
 */
export function notFoundMeansEnded(request: CallOperationRequest): boolean {
  const body: { legs?: unknown; leg?: unknown } = request.body ?? {};
  switch (request.operation) {
    case 'hangup':
    case 'record':
      return true;
    case 'transfer':
      return aLegOnly(body.legs);
    case 'send-digits':
      return aLegOnly(body.leg);
    default:
      return false;
  }
}

/** Whether a request may be sent for a call that has ended: only asking about it may. */
export function skippedWhenEnded(request: CallOperationRequest): boolean {
  return request.callUuid !== undefined && request.operation !== 'live-details';
}
