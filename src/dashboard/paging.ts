// Cursor paging: the API only goes forward, so the pager remembers the cursors that led to each
// page it has shown, and "previous" reloads the page from the cursor before.

export class CursorPager {
  /** The cursor of each page shown so far; the first page has none. */
  private trail: (string | null)[] = [null];
  private following: string | null = null;

  /** The cursor to load the current page with. */
  get cursor(): string | null {
    return this.trail[this.trail.length - 1] ?? null;
  }

  /** 1-based number of the current page. */
  get page(): number {
    return this.trail.length;
  }

  get hasPrevious(): boolean {
    return this.trail.length > 1;
  }

  get hasNext(): boolean {
    return this.following !== null;
  }

  /** Record the answer's nextCursor for the page just loaded. */
  loaded(nextCursor: string | null): void {
    this.following = nextCursor;
  }

  /** Move to the next page; returns its cursor, or null when there is none. */
  forward(): string | null {
    if (this.following === null) return null;
    this.trail.push(this.following);
    this.following = null;
    return this.cursor;
  }

  /** Move to the previous page; false when already on the first. */
  back(): boolean {
    if (this.trail.length <= 1) return false;
    this.trail.pop();
    this.following = null;
    return true;
  }

  /** Back to the first page (new filters). */
  reset(): void {
    this.trail = [null];
    this.following = null;
  }
}
