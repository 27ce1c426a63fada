/**
 * The assistant states the device shows on its LED (PROTOCOL.md STATE), and the only changes
 * between them that can happen. Anything else is a bug upstream: it is refused, not shown.
 */
import { AssistantState } from '../protocol/messages.js';

const { IDLE, LISTENING, THINKING, SPEAKING, ERROR, CONNECTING } = AssistantState;

/** from → the states it may change to. */
export const ASSISTANT_TRANSITIONS: Readonly<Record<number, readonly number[]>> = {
  [IDLE]: [CONNECTING, LISTENING, ERROR],
  /** Live is (re)connecting: it opens (a reply may still be playing), or fails. */
  [CONNECTING]: [LISTENING, SPEAKING, ERROR],
  /** The user's turn ends (transcript, push-to-talk release), a reply starts playing, or Live sleeps for quiet. */
  [LISTENING]: [THINKING, SPEAKING, CONNECTING, ERROR, IDLE],
  /** The reply starts playing, or the turn ends without audio. */
  [THINKING]: [SPEAKING, LISTENING, CONNECTING, ERROR],
  /** The reply finished playing, or push-to-talk was released over it. */
  [SPEAKING]: [LISTENING, THINKING, CONNECTING, ERROR],
  /** Live failed or is out of reach: only a connection leaves this state (a reply may still be playing when it opens). */
  [ERROR]: [CONNECTING, LISTENING, SPEAKING],
};

export function canTransition(from: number, to: number): boolean {
  return from === to || (ASSISTANT_TRANSITIONS[from]?.includes(to) ?? false);
}
