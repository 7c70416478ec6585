// Office hours for the messenger's "we're away" line: always open, or per weekday one or more
// from–to intervals in the workspace's timezone (a day with none is closed).
import { useEffect, useState } from 'preact/hooks';
import * as data from './data';
import type { Hours, MessengerSettings } from './data';
import { ErrorLine, useRequest } from './ui';

const DAYS: [string, string][] = [['mon', 'Monday'], ['tue', 'Tuesday'], ['wed', 'Wednesday'], ['thu', 'Thursday'], ['fri', 'Friday'], ['sat', 'Saturday'], ['sun', 'Sunday']];
export type Week = Record<string, [number, number][]>;

const clock = (minutes: number): string => {
  const m = minutes % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
};
/** "09:30" → 570; an end of "00:00" is midnight at the end of the day (1440). */
const minutes = (text: string, end: boolean): number => {
  const [h, m] = text.split(':').map(Number);
  const value = (h || 0) * 60 + (m || 0);
  return end && value === 0 ? 1440 : value;
};
export const week = (hours: Hours): Week => Object.fromEntries(DAYS.map(([d]) => [d, (hours[d] ?? []).map(([a, b]) => [a, b] as [number, number])]));
export const DEFAULT: [number, number] = [9 * 60, 17 * 60];

export function OfficeHours({ settings, readOnly, onSaved }: { settings: MessengerSettings; readOnly: string | null; onSaved: (s: MessengerSettings) => void }) {
  const stored = settings.office_hours ?? {};
  const [always, setAlways] = useState(Object.keys(stored).length === 0);
  const [days, setDays] = useState<Week>(() => (Object.keys(stored).length ? week(stored) : week({ mon: [DEFAULT], tue: [DEFAULT], wed: [DEFAULT], thu: [DEFAULT], fri: [DEFAULT] })));
  const [done, setDone] = useState(false);
  const save = useRequest();
  const wanted: Hours = always ? {} : days;
  const dirty = JSON.stringify(always ? {} : week(wanted)) !== JSON.stringify(Object.keys(stored).length ? week(stored) : {});
  useEffect(() => { save.setError(null); setDone(false); }, [always, days]);

  const change = (day: string, list: [number, number][]) => setDays((all) => ({ ...all, [day]: list }));
  const submit = async (e: Event) => {
    e.preventDefault();
    const saved = await save.run(() => data.saveMessenger({ office_hours: wanted }));
    if (saved) { onSaved(saved); setDone(true); }
  };
  return (
    <form class="settings-block stack-form" onSubmit={(e) => void submit(e)} aria-labelledby="hours-title" data-testid="office-hours">
      <h3 id="hours-title">Office hours</h3>
      <p class="muted">Outside these hours the messenger tells visitors when the team is back. Times are in the workspace’s timezone.</p>
      <fieldset disabled={!!readOnly}>
        <div class="choice-row" role="radiogroup" aria-label="Office hours">
          <label class="radio"><input type="radio" name="hours-mode" checked={always} onChange={() => setAlways(true)} data-testid="hours-always" />Always open</label>
          <label class="radio"><input type="radio" name="hours-mode" checked={!always} onChange={() => setAlways(false)} data-testid="hours-custom" />Set hours</label>
        </div>
        {!always && <WeekEditor days={days} onChange={change} />}
        <ErrorLine error={save.error} testid="hours-error" />
        <div class="form-actions">
          <button type="submit" class="primary" disabled={!dirty || save.busy} data-testid="hours-save">{save.busy ? 'Saving…' : 'Save hours'}</button>
          {done && !dirty && <span class="saved-note" role="status" data-testid="hours-saved">Saved.</span>}
        </div>
      </fieldset>
    </form>
  );
}

/** Per weekday one or more from–to intervals (a day without is closed); `testid` prefixes the controls. */
export function WeekEditor({ days, onChange, testid = 'hours' }: { days: Week; onChange: (day: string, list: [number, number][]) => void; testid?: string }) {
  const change = onChange;
  return (
    <ul class="week" data-testid={`${testid}-week`}>
      {DAYS.map(([day, label]) => {
        const list = days[day] ?? [];
        return (
          <li key={day} class="day" data-testid={`${testid}-${day}`}>
            <label class="radio day-name"><input type="checkbox" checked={list.length > 0} onChange={() => change(day, list.length ? [] : [DEFAULT])}
              data-testid={`${testid}-${day}-open`} />{label}</label>
            <div class="intervals">
              {list.length === 0 && <span class="muted">Closed</span>}
              {list.map(([from, to], i) => (
                <span class="interval" key={i}>
                  <input type="time" aria-label={`${label} from`} value={clock(from)} required data-testid={`${testid}-${day}-from`}
                    onChange={(e) => change(day, list.map((x, j) => (j === i ? [minutes((e.target as HTMLInputElement).value, false), x[1]] : x)))} />
                  <span aria-hidden="true">–</span>
                  <input type="time" aria-label={`${label} until`} value={clock(to)} required data-testid={`${testid}-${day}-to`}
                    onChange={(e) => change(day, list.map((x, j) => (j === i ? [x[0], minutes((e.target as HTMLInputElement).value, true)] : x)))} />
                  <button type="button" class="x" aria-label={`Remove ${label} ${clock(from)}–${clock(to)}`} onClick={() => change(day, list.filter((_, j) => j !== i))}>×</button>
                </span>
              ))}
              {list.length > 0 && <button type="button" class="link" onClick={() => change(day, [...list, [Math.min(list[list.length - 1][1] + 60, 1380), 1440]])}>+ Add hours</button>}
            </div>
          </li>
        );
      })}
    </ul>
  );
}
