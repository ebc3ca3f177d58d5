/*
 * budget.c: one memory budget that the connections of an event-loop mode
 * share for buffered output, handed out in chunks, fairly: a connection
 * may hold up to an equal share, and never past the total.
 */
#include "evloop.h"

/* The share of each user now, before rounding to chunks. */
static size_t
share(const struct budget *b)
{
	return b->limit / (b->users ? b->users : 1);
}

size_t
budget_room(const struct budget *b, size_t held, size_t cap)
{
	size_t mine = share(b), left;

	/* Below one chunk a share would stop every client: allow one. */
	if (mine < BUDGET_CHUNK)
		mine = BUDGET_CHUNK;
	if (mine > cap)
		mine = cap;
	if (held >= mine || b->used >= b->limit)
		return 0;
	left = b->limit - b->used;
	mine -= held;
	return (mine < left ? mine : left) / BUDGET_CHUNK * BUDGET_CHUNK;
}

int
budget_over(const struct budget *b, size_t held)
{
	return held > share(b);
}

void
budget_take(struct budget *b, size_t n)
{
	b->used += n;
}

void
budget_give(struct budget *b, size_t n)
{
	b->used -= n;
}
