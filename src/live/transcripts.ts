/**
 * The conversation as text. The service sends the user's transcript in small chunks without
 * `finished`, often after the model has begun to answer, sometimes not at all
 * (docs/live-api-notes.md "Corrections"; js-genai#1429, python-genai#1504); gemini-3.1 sends it
 * whole and finished (adk-python PR 6045). `UserTurnText` makes one line per turn of either:
 * it is given out at the turn's first model audio, generationComplete or turnComplete (whichever
 * comes first, or at `finished`), and chunks that come later are appended to that turn.
 * `ConversationHistory` keeps the newest turns (bounded) to re-seed a new session when the old
 * one cannot be resumed (pipecat#4355).
 */

export interface HistoryTurn {
  role: 'user' | 'model';
  text: string;
}

export class ConversationHistory {
  private readonly turns: HistoryTurn[] = [];
  private chars = 0;

  constructor(
    private readonly maxTurns = 40,
    private readonly maxChars = 8000,
  ) {}

  get length(): number {
    return this.turns.length;
  }

  /** Adds a turn; returns it, so late words can be appended with `extend`. */
  add(role: HistoryTurn['role'], text: string): HistoryTurn {
    const turn = { role, text };
    this.turns.push(turn);
    this.chars += text.length;
    this.trim();
    return turn;
  }

  extend(turn: HistoryTurn, more: string): void {
    turn.text += more;
    if (this.turns.includes(turn)) this.chars += more.length;
    this.trim();
  }

  /** As `clientContent` turns, oldest first. */
  toContents(): { role: string; parts: { text: string }[] }[] {
    return this.turns.map((t) => ({ role: t.role, parts: [{ text: t.text }] }));
  }

  private trim(): void {
    while (this.turns.length > this.maxTurns || (this.chars > this.maxChars && this.turns.length > 1)) this.chars -= this.turns.shift()!.text.length;
  }
}

export interface UserTurnTextEvents {
  /** The turn's transcript, once. */
  turn(text: string): void;
  /** Words that arrived after the turn's transcript was given out. */
  late(more: string, whole: string): void;
}

export class UserTurnText {
  private text = '';
  private given = false;
  /** turnComplete has come; the next user speech starts a new turn. */
  private closed = false;
  private spokeSinceClose = false;
  /** The last chunk said `finished`: the next one starts a new turn. */
  private finished = false;

  constructor(private readonly on: UserTurnTextEvents) {}

  /** An inputTranscription chunk. */
  chunk(text: string, finished: boolean): void {
    if ((this.closed && this.spokeSinceClose) || this.finished) this.reset();
    this.finished = finished;
    if (!text) return;
    this.text += text;
    if (this.given) this.on.late(text, this.text.trim());
    else if (this.closed || finished) this.give();
  }

  /** The reply's first audio, or generationComplete: the transcript so far is the turn's. */
  replyStarted(): void {
    if (!this.given) this.give();
  }

  turnComplete(): void {
    this.replyStarted();
    this.closed = true;
  }

  /** The local detector heard the user begin to speak. */
  userSpoke(): void {
    if (this.closed) this.spokeSinceClose = true;
  }

  private give(): void {
    const text = this.text.trim();
    if (!text) return;
    this.given = true;
    this.on.turn(text);
  }

  private reset(): void {
    this.text = '';
    this.given = false;
    this.closed = false;
    this.spokeSinceClose = false;
    this.finished = false;
  }
}
