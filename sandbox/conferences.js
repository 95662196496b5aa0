'use strict';
/**
 * Conferences as Plivo runs them (Plivo's Conference XML and Conference API pages): a call whose
 * XML reaches `<Conference>` joins the room named by its text, as a member with an ID of its own;
 * the element's `callbackUrl` hears `enter`, `exit` and (with `digitsMatch`) `digits`, signed. A
 * member stays until its call ends, it is kicked (its XML goes on after the element) or the room
 * is hung up; an empty room is gone. The API: list, details, hang up one or all, record and stop,
 * and for members (one ID, a comma list, or `all`): hang up, kick, mute, deaf, play and speak and
 * their stops; an unknown room or member is 404. As on Plivo, a stop that names members otherwise
 * than the start did (`all` for a play started by ID) answers 204 and stops nothing.
 * `GET /sandbox/conferences/{name}` shows a room with each member's state.
 */
const { randomUUID } = require('node:crypto');
const { json, apiError } = require('./http.js');
const { isHttpUrl } = require('./api-checks.js');

function createConferences(calls) {
  /** Room name to {name, uuid, started, members: Map(member ID to member), recording}. */
  const rooms = new Map();
  let lastMemberId = 1000;

  /** The callback parameters of a member's event. */
  function eventParams(room, member, action, extra = {}) {
    return {
      ...calls.params(member.callUuid, member.call),
      ConferenceAction: action, ConferenceName: room.name, ConferenceUUID: room.uuid, ConferenceMemberID: member.memberId, ...extra,
    };
  }

  function tell(room, member, action, extra) {
    if (member.callbackUrl) calls.deliver(member.callbackUrl, eventParams(room, member, action, extra), member.callbackMethod);
  }

  /** The member leaves the room: its exit is told, an empty room is gone, and `how` wakes its call's XML. */
  function leave(room, member, how) {
    if (!room.members.delete(member.memberId)) return;
    member.call.conference = undefined;
    tell(room, member, 'exit');
    if (room.members.size === 0) rooms.delete(room.name);
    member.wake(how);
  }

  /**
   * The call joins the room `name` as `<Conference>` asks; resolves when it leaves: 'kicked' (its
   * XML goes on) or 'ended' (its call ended, or the room was hung up).
   */
  function join(callUuid, call, name, attributes) {
    let room = rooms.get(name);
    if (!room) {
      room = { name, uuid: randomUUID(), started: Date.now(), members: new Map(), recording: undefined };
      rooms.set(name, room);
    }
    lastMemberId += 1;
    const member = {
      memberId: String(lastMemberId), callUuid, call, joined: Date.now(), muted: attributes.muted === 'true', deaf: false,
      playing: undefined, speaking: undefined, digitsMatch: attributes.digitsMatch?.split(',') ?? [],
      callbackUrl: isHttpUrl(attributes.callbackUrl) ? attributes.callbackUrl : undefined, callbackMethod: attributes.callbackMethod ?? 'POST',
      endsRoom: attributes.endConferenceOnExit === 'true',
    };
    room.members.set(member.memberId, member);
    call.conference = { room, member };
    call.log.push({ element: 'Conference', room: name, memberId: member.memberId });
    const left = new Promise((resolve) => { member.wake = resolve; });
    tell(room, member, 'enter');
    return left;
  }

  calls.onEnd((uuid, call) => {
    const joined = call.conference;
    if (!joined) return;
    leave(joined.room, joined.member, 'ended');
    if (joined.member.endsRoom) for (const other of [...joined.room.members.values()]) calls.end(other.callUuid);
  });

  /** A member presses keys: a match of its digitsMatch is told to its callback URL. True when the call is in a room. */
  function press(callUuid, digits) {
    const joined = calls.live.get(callUuid)?.conference;
    if (!joined) return false;
    if (joined.member.digitsMatch.includes(digits)) tell(joined.room, joined.member, 'digits', { ConferenceDigitsMatch: digits });
    return true;
  }

  function details(room) {
    return {
      conference_name: room.name,
      conference_run_time: String(Math.round((Date.now() - room.started) / 1000)),
      conference_member_count: String(room.members.size),
      members: [...room.members.values()].map((member) => ({
        member_id: member.memberId, muted: member.muted, deaf: member.deaf, from: member.call.from, to: member.call.to,
        caller_name: member.call.callerName, direction: member.call.direction, call_uuid: member.callUuid,
        join_time: String(Math.round((Date.now() - member.joined) / 1000)),
      })),
    };
  }

  /** The members `ids` names (one, a comma list, or all); undefined when one of them is not in the room. */
  function membersOf(room, ids) {
    if (ids === 'all') return [...room.members.values()];
    const named = ids.split(',').map((id) => room.members.get(id));
    return named.every(Boolean) ? named : undefined;
  }

  /** POST/DELETE on members' Mute, Deaf, Play or Speak: `state` is the member's flag or what it plays/speaks, with how it was named. */
  function memberAction(req, res, record, ids, members, action) {
    const field = { Mute: 'muted', Deaf: 'deaf', Play: 'playing', Speak: 'speaking' }[action];
    if (req.method === 'DELETE') {
      for (const member of members) {
        if (field === 'muted' || field === 'deaf') member[field] = false;
        // As on Plivo: only a stop that names the members as the start did stops it.
        else if (member[field]?.namedAs === ids) member[field] = undefined;
      }
      res.writeHead(204);
      return res.end();
    }
    if (req.method !== 'POST') return apiError(res, 405, 'method not allowed');
    const body = record.json ?? {};
    if (action === 'Play' && !isHttpUrl(body.url)) return apiError(res, 400, 'url must be an http(s) URL');
    if (action === 'Speak' && (typeof body.text !== 'string' || body.text.trim() === '')) return apiError(res, 400, 'text parameter is required');
    for (const member of members) {
      if (field === 'muted' || field === 'deaf') member[field] = true;
      else member[field] = { namedAs: ids, what: action === 'Play' ? body.url : body.text };
    }
    const message = { Mute: 'muted', Deaf: 'deaf', Play: 'play queued into conference', Speak: 'speak queued into conference' }[action];
    return json(res, 202, { api_id: randomUUID(), message, member_id: members.map((member) => member.memberId) });
  }

  /** Conference/[{name}/[Record/ | Member/{ids}/[{action}/]]], as matched by the API's router. */
  function route(req, res, record, name, part, ids, action) {
    if (name === undefined) {
      if (req.method === 'GET') return json(res, 200, { api_id: randomUUID(), conferences: [...rooms.keys()] });
      if (req.method !== 'DELETE') return apiError(res, 405, 'method not allowed');
      for (const room of [...rooms.values()]) for (const member of [...room.members.values()]) calls.end(member.callUuid);
      res.writeHead(204);
      return res.end();
    }
    const room = rooms.get(name);
    if (!room) return apiError(res, 404, 'conference not found');
    if (part === undefined) {
      if (req.method === 'GET') return json(res, 200, { api_id: randomUUID(), ...details(room) });
      if (req.method !== 'DELETE') return apiError(res, 405, 'method not allowed');
      for (const member of [...room.members.values()]) calls.end(member.callUuid);
      res.writeHead(204);
      return res.end();
    }
    if (part === 'Record') {
      if (req.method === 'DELETE') {
        room.recording = undefined;
        res.writeHead(204);
        return res.end();
      }
      const fileFormat = record.json?.file_format ?? 'mp3';
      if (fileFormat !== 'mp3' && fileFormat !== 'wav') return apiError(res, 400, 'file_format must be mp3 or wav');
      const recordingId = randomUUID();
      room.recording = { recording_id: recordingId, url: `https://media.plivo.com/v1/Account/sandbox/Recording/${recordingId}.${fileFormat}` };
      return json(res, 202, { api_id: randomUUID(), message: 'conference recording started', recording_id: recordingId, url: room.recording.url });
    }
    const members = membersOf(room, ids);
    if (!members) return apiError(res, 404, 'member not found');
    if (action === undefined) {
      if (req.method !== 'DELETE') return apiError(res, 405, 'method not allowed');
      for (const member of members) calls.end(member.callUuid);
      res.writeHead(204);
      return res.end();
    }
    if (action === 'Kick') {
      if (req.method !== 'POST') return apiError(res, 405, 'method not allowed');
      for (const member of members) leave(room, member, 'kicked');
      return json(res, 202, { api_id: randomUUID(), message: 'kicked', member_id: members.map((member) => member.memberId) });
    }
    return memberAction(req, res, record, ids, members, action);
  }

  /** GET /sandbox/conferences/{name}: the room and each member's state, for tests and the demo. */
  function view(res, name) {
    const room = rooms.get(name);
    if (!room) return apiError(res, 404, 'no such conference');
    return json(res, 200, {
      name: room.name, conference_uuid: room.uuid, recording: room.recording ?? null,
      members: [...room.members.values()].map((member) => ({
        member_id: member.memberId, call_uuid: member.callUuid, muted: member.muted, deaf: member.deaf,
        playing: member.playing ?? null, speaking: member.speaking ?? null,
      })),
    });
  }

  return {
    join,
    press,
    route,
    view,
    /** The call leaves its room, if it is in one: its XML moves on elsewhere (a transfer). */
    depart(call) {
      if (call.conference) leave(call.conference.room, call.conference.member, 'moved');
    },
  };
}

module.exports = { createConferences };
