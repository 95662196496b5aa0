'use strict';
/**
 * Runs a sandbox call's XML as Plivo would, far enough for the examples: Speak, Play and Wait
 * are logged with their lengths (a Wait takes its time, scaled by `timeScale`); GetDigits and
 * GetInput wait for keys the caller presses (press()), then post Digits, signed, to their
 * action and follow the XML it answers; Redirect fetches and follows; Record posts a recording
 * to its action; Dial posts a DialStatus; Hangup or the end of the XML ends the call, with its
 * hangup webhook. XML Plivo would refuse (xml-check.js) ends the call, logged.
 */
const { randomUUID } = require('node:crypto');
const { checkXml } = require('./xml-check.js');

/** Seconds of speech for a text: about 150 words a minute. */
function speechSeconds(text) {
  const words = text.trim().split(/\s+/).filter(Boolean).length;
  return Math.max(0.5, Math.round((words / 2.5) * 10) / 10);
}

/**
 * The runner of `calls`' XML; `conferences` runs the rooms `<Conference>` joins. Options: timeScale
 * (a Wait of n seconds and the time a caller has to press keys take n * 1000 * timeScale ms; 1 by
 * default), keysTimeoutMs (how long GetDigits waits for each try, overriding its timeout).
 */
function createRunner(calls, conferences, options = {}) {
  const timeScale = options.timeScale ?? 1;
  const timers = new Set();

  /** Waits `ms`; the call's next step (a hang-up, a transfer, a press) wakes it early. Resolves with what woke it. */
  function pause(call, ms, waiting) {
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(undefined), ms);
      timers.add(timer);
      function finish(value) {
        clearTimeout(timer);
        timers.delete(timer);
        if (call.waiting === waiting) call.waiting = undefined;
        resolve(value);
      }
      waiting.wake = finish;
      call.waiting = waiting;
    });
  }

  /** Stops whatever the call's XML is doing (it ended, or a transfer gave it new XML). */
  function interrupt(call) {
    call.run = (call.run ?? 0) + 1;
    call.waiting?.wake(undefined);
    conferences.depart(call);
  }

  calls.onEnd((uuid, call) => interrupt(call));

  /** Fetches `url` for the call, signed, and runs the XML it answers; a failure ends the call. */
  async function fetchAndRun(uuid, url, method, fields = {}) {
    const call = calls.live.get(uuid);
    if (!call) return;
    const run = call.run;
    let answer;
    try {
      answer = await calls.post(url, { ...calls.params(uuid, call), CallStatus: 'in-progress', ...fields }, method);
    } catch (error) {
      answer = { error: `could not fetch ${url}: ${error.message}` };
    }
    // The call may have ended, or moved to other XML, while its URL was fetched.
    if (call.run !== run || calls.live.get(uuid) !== call) return;
    if (answer.error || answer.status !== 200) {
      call.log.push({ element: 'error', error: answer.error ?? `${url} answered ${answer.status}` });
      calls.end(uuid, { cause: 'XML_FETCH_FAILED' });
      return;
    }
    await runXml(uuid, answer.body, url);
  }

  /** Moves the call to new XML at `url` (a transfer). */
  function transfer(uuid, call, url, method) {
    interrupt(call);
    fetchAndRun(uuid, url, method, { Event: 'Transfer' }).catch(() => {});
  }

  /** Waits for the caller's keys, `tries` times `timeoutMs`: the keys, or undefined. */
  async function keysFrom(uuid, call, element, tries, timeoutMs) {
    for (let i = 0; i < tries; i += 1) {
      const keys = await pause(call, timeoutMs, { element });
      if (keys !== undefined) return keys;
      if (!calls.live.has(uuid)) return undefined;
    }
    return undefined;
  }

  /** The keys as Plivo posts them: up to finishOnKey (not included), at most numDigits. */
  function digitsOf(keys, attributes) {
    const finish = attributes.finishOnKey ?? '#';
    const cut = finish !== '' && finish !== 'none' && keys.includes(finish) ? keys.slice(0, keys.indexOf(finish)) : keys;
    return cut.slice(0, Number(attributes.numDigits ?? 99));
  }

  /** Posts to an element's action, then follows the XML it answers unless redirect is false. Returns true when the XML moved on. */
  async function actOn(uuid, call, node, fields) {
    const { action, method = 'POST', redirect = 'true' } = node.attributes;
    if (!action) return false;
    if (redirect === 'false') {
      calls.deliver(action, { ...calls.params(uuid, call), CallStatus: 'in-progress', ...fields }, method);
      return false;
    }
    await fetchAndRun(uuid, action, method, fields);
    return true;
  }

  /** Runs one element; true when the call's XML ends here (it moved on, or the call stays where it is). */
  async function step(uuid, call, node) {
    const { name, attributes } = node;
    const text = node.text.trim();
    if (name === 'Speak') call.log.push({ element: name, text, voice: attributes.voice ?? 'WOMAN', language: attributes.language ?? 'en-US', seconds: speechSeconds(text) });
    else if (name === 'Play') call.log.push({ element: name, url: text, loop: Number(attributes.loop ?? 1) });
    else if (name === 'DTMF') call.log.push({ element: name, digits: text });
    else if (name === 'Wait') {
      const seconds = Number(attributes.length ?? 1);
      call.log.push({ element: name, seconds });
      await pause(call, seconds * 1000 * timeScale, { element: name });
    } else if (name === 'GetDigits' || name === 'GetInput') {
      for (const prompt of node.children) await step(uuid, call, prompt);
      const seconds = name === 'GetDigits' ? Number(attributes.timeout ?? 5) : Number(attributes.executionTimeout ?? 15);
      const tries = name === 'GetDigits' ? Number(attributes.retries ?? 1) : 1;
      const entry = { element: name, action: attributes.action, waiting: true };
      call.log.push(entry);
      const keys = await keysFrom(uuid, call, name, tries, options.keysTimeoutMs ?? seconds * 1000 * timeScale);
      entry.waiting = false;
      if (keys === undefined) {
        entry.digits = null;
        return !calls.live.has(uuid);
      }
      entry.digits = digitsOf(keys, attributes);
      const fields = name === 'GetDigits' ? { Digits: entry.digits } : { InputType: 'dtmf', Digits: entry.digits };
      return actOn(uuid, call, node, fields);
    } else if (name === 'Record') {
      const recordingId = randomUUID();
      const recordUrl = `https://media.plivo.com/v1/Account/sandbox/Recording/${recordingId}.${attributes.fileFormat ?? 'mp3'}`;
      call.log.push({ element: name, recordUrl, session: attributes.recordSession === 'true' });
      const fields = { RecordUrl: recordUrl, RecordingID: recordingId, RecordingDuration: '4', RecordingDurationMs: '4000' };
      if (attributes.callbackUrl) calls.deliver(attributes.callbackUrl, { ...calls.params(uuid, call), ...fields }, attributes.callbackMethod ?? 'POST');
      return actOn(uuid, call, node, fields);
    } else if (name === 'Dial') {
      const to = node.children.map((child) => child.text.trim());
      call.log.push({ element: name, to });
      return actOn(uuid, call, node, { DialStatus: 'completed', DialALegUUID: uuid, DialBLegUUID: randomUUID(), DialBLegTo: to[0] });
    } else if (name === 'Redirect') {
      call.log.push({ element: name, url: text });
      await fetchAndRun(uuid, text, attributes.method ?? 'POST');
      return true;
    } else if (name === 'Hangup') {
      call.log.push({ element: name, reason: attributes.reason, schedule: attributes.schedule });
      const cause = attributes.reason === 'busy' ? 'USER_BUSY' : attributes.reason === 'rejected' ? 'CALL_REJECTED' : 'NORMAL_CLEARING';
      if (attributes.schedule === undefined) {
        calls.end(uuid, { cause });
        return true;
      }
      const timer = setTimeout(() => calls.end(uuid, { cause }), Number(attributes.schedule) * 1000 * timeScale);
      timers.add(timer);
    } else if (name === 'PreAnswer') {
      for (const child of node.children) if (await step(uuid, call, child)) return true;
    } else if (name === 'Conference') {
      // In the room until the call ends or moves on; kicked, its XML goes on.
      return (await conferences.join(uuid, call, text, attributes)) !== 'kicked';
    } else {
      // Stream: the call stays there until it ends.
      call.log.push({ element: name, text, attributes });
      return true;
    }
    return false;
  }

  /** Runs `xml` (fetched from `source`) for the call; XML Plivo would refuse ends it. */
  async function runXml(uuid, xml, source) {
    const call = calls.live.get(uuid);
    if (!call) return;
    const run = call.run ?? 0;
    call.run = run;
    const checked = checkXml(xml);
    if (checked.error) {
      call.log.push({ element: 'error', source, error: checked.error });
      calls.end(uuid, { cause: 'XML_INVALID' });
      return;
    }
    for (const node of checked.response.children) {
      if (call.run !== run || !calls.live.has(uuid)) return;
      if (await step(uuid, call, node)) return;
    }
    if (call.run === run) calls.end(uuid);
  }

  return {
    runXml,
    fetchAndRun,
    transfer,
    /** The caller presses `keys` in a call waiting for them, or in a conference; false when it waits for none. */
    press(uuid, keys) {
      const call = calls.live.get(uuid);
      if (!call?.waiting || (call.waiting.element !== 'GetDigits' && call.waiting.element !== 'GetInput')) return conferences.press(uuid, keys);
      call.waiting.wake(keys);
      return true;
    },
    /** Stops every call's XML where it is (the sandbox closes): nothing is posted after this. */
    stop() {
      for (const call of calls.live.values()) interrupt(call);
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}

module.exports = { createRunner };
