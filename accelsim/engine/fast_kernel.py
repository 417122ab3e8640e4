"""The fast engine's event core: simpy's scheduling replayed over plain arrays.

``play`` runs the same processes as engine/simulator.py (one DMA loader, one process per stage
of each group, one writer per group), written as explicit state machines, on a heap of plain
integer tuples ``(cycle, priority, eid, action, a, b)`` ordered exactly as simpy 4 orders its
queue: by time, then priority (process start-up is URGENT, everything else NORMAL), then the
order in which events were *scheduled*. Every zero-time hop simpy makes is reproduced (a store
put is an event whose processing wakes a waiting getter; a released resource is granted to the
next request when the release event is processed, or earlier if a new request arrives first;
an all-of condition fires when the last of its events is processed), so resources are granted
in the same order and every counter is the same integer.

Plain Python with numpy arrays and heapq only, so numba can compile it unchanged
(engine/fast.py decides when compiling pays off); the Python path is the same code.
"""

from __future__ import annotations

import heapq

import numpy as np

# actions of a heap entry
RESUME, PUT_INBOX, PUT_WRITER, PUT_TOKEN, PUT_BANK, RELEASE, OPERANDS, DONE = range(8)
# stall causes, in simulator.STALL_CAUSES order
S_DRAM, S_BANK, S_DEP, S_UNIT, S_SRAM = 0, 1, 2, 3, 4
OUT_BUF = 2


def play(  # noqa: C901, PLR0912, PLR0913, PLR0915 - one flat state machine, numba-compilable
    n_units: int, latency: int,
    g_nst: np.ndarray, g_step0: np.ndarray, g_step1: np.ndarray, g_dep0: np.ndarray,
    g_dep1: np.ndarray, deps: np.ndarray, g_close0: np.ndarray, g_close1: np.ndarray,
    closing: np.ndarray, g_pid0: np.ndarray,
    s_load0: np.ndarray, s_load1: np.ndarray, s_w0: np.ndarray, s_rel0: np.ndarray,
    s_rel1: np.ndarray, s_ep0: np.ndarray, s_ep1: np.ndarray, s_opens: np.ndarray,
    s_closes: np.ndarray, s_wbytes: np.ndarray, s_wop: np.ndarray,
    l_buf: np.ndarray, l_bytes: np.ndarray, l_op: np.ndarray,
    l_bank: np.ndarray, l_produced: np.ndarray, l_epilogue: np.ndarray,
    w_unit: np.ndarray, w_cycles: np.ndarray, w_port: np.ndarray, w_amount: np.ndarray,
    w_op: np.ndarray, rel_buf: np.ndarray, rel_at: np.ndarray, ep_work: np.ndarray,
    bank_init: np.ndarray,
    t_same: np.ndarray, t_turn: np.ndarray, t_write: np.ndarray, t_bursts: np.ndarray,
    t_op: np.ndarray, refresh_period: int, refresh_cycles: int,
    op_i: np.ndarray, op_dram_busy: np.ndarray, request_log: np.ndarray, op_fill: np.ndarray,
    op_stall: np.ndarray,
    unit_busy: np.ndarray, counters: np.ndarray, bank_peak: np.ndarray,
    done_trig: np.ndarray, pc_out: np.ndarray, got_out: np.ndarray,
) -> None:
    """Play the plan; results land in the output arrays.

    DRAM transfers are numbered loads first (``li``), then write-backs (``n_loads + step``);
    ``t_same[t]`` / ``t_turn[t]``: channel cycles of transfer t before refresh when the channel's
    last transfer went the same way / the other way (a read/write turnaround; both the plain
    occupancy on the bandwidth model), chosen when the transfer *requests* the channel as
    engine/dram.py does; ``t_write``: its direction; ``t_bursts``: it moves bursts (sets the
    direction, enters the request log of a banked channel; 1 for every bandwidth transfer);
    ``t_op``: the op its busy cycles count for. ``refresh_period`` / ``refresh_cycles``: all-bank
    refresh every period for that long (0: no refresh; cost.dram.refresh_end_cycle).

    ``op_i[o]``: start (-1: none), end, first compute (-1: none), busy, amount, DRAM read,
    DRAM write, drains. ``op_dram_busy[o]``: channel cycles of its transfers.
    ``op_fill[o, buffer]``: DMA fill bytes; ``op_stall[o, cause]``. ``request_log``: transfer
    ids in the order the channel granted them (``counters[6]`` of them).
    ``counters``: DRAM busy cycles, recorder events, last cycle, banks in use (3), requests.
    ``pc_out[pid]``: final program counter of every process (-1: finished), for the deadlock
    report; ``got_out[pid]``: steps each stage took from its inbox (the invariants' count).
    """
    n_groups = g_nst.shape[0]
    n_proc = g_pid0[n_groups]  # stages and writers; the loader is n_proc
    loader = n_proc
    n_res = n_units + 1  # units, then the DRAM channel
    dram = n_units
    # processes: kind 0 loader, 1 stage, 2 writer; owning group and stage index
    p_kind = np.zeros(n_proc + 1, np.int64)
    p_group = np.zeros(n_proc + 1, np.int64)
    p_j = np.zeros(n_proc + 1, np.int64)
    for g in range(n_groups):
        for j in range(g_nst[g]):
            p_kind[g_pid0[g] + j] = 1
            p_group[g_pid0[g] + j] = g
            p_j[g_pid0[g] + j] = j
        p_kind[g_pid0[g] + g_nst[g]] = 2
        p_group[g_pid0[g] + g_nst[g]] = g
    p_group[loader] = 0
    pc = np.zeros(n_proc + 1, np.int64)
    # per-process locals (their meaning depends on the kind): k, s, t0, t1, t2, t3, x, ret
    v_k = np.zeros(n_proc + 1, np.int64)
    v_s = np.zeros(n_proc + 1, np.int64)
    v_t0 = np.zeros(n_proc + 1, np.int64)
    v_t1 = np.zeros(n_proc + 1, np.int64)
    v_t2 = np.zeros(n_proc + 1, np.int64)
    v_x = np.zeros(n_proc + 1, np.int64)
    v_w = np.zeros(n_proc + 1, np.int64)
    c_t0 = np.zeros(n_proc + 1, np.int64)  # _compute / transfer sub-routine
    c_t1 = np.zeros(n_proc + 1, np.int64)
    c_ret = np.zeros(n_proc + 1, np.int64)
    c_tr = np.zeros(n_proc + 1, np.int64)  # the transfer of the DRAM sub-routine
    n_loads = l_buf.shape[0]
    last_dir = -1  # direction of the channel's last transfer with bursts (-1: none yet)
    n_logged = 0
    # resources (capacity 1, FCFS): busy flag and a ring of waiting processes
    r_busy = np.zeros(n_res, np.int64)
    r_q = np.zeros((n_res, n_proc + 2), np.int64)
    r_head = np.zeros(n_res, np.int64)
    r_len = np.zeros(n_res, np.int64)
    qcap = n_proc + 2
    # bank stores: free tokens and a ring of waiting getters
    b_items = bank_init.copy()
    b_use = np.zeros(3, np.int64)
    b_q = np.zeros((3, n_proc + 2), np.int64)
    b_head = np.zeros(3, np.int64)
    b_len = np.zeros(3, np.int64)
    # inbox of every stage (single getter): items put, items got, getter waiting
    in_put = np.zeros(n_proc + 1, np.int64)
    in_got = np.zeros(n_proc + 1, np.int64)
    in_wait = np.zeros(n_proc + 1, np.int64)
    n_works = w_unit.shape[0]
    item_ready = np.zeros(n_works, np.int64)  # ready_at handed with step s to stage j
    n_steps = s_load0.shape[0]
    s_hand = np.full(n_steps, -1, np.int64)  # operands event handed with a closing step
    # token store between stage j and j+1, indexed by stage j's pid (single getter: stage j)
    tok = np.full(n_proc + 1, 2, np.int64)
    tok_wait = np.zeros(n_proc + 1, np.int64)
    # writer store per group
    wr_put = np.zeros(n_groups, np.int64)
    wr_got = np.zeros(n_groups, np.int64)
    wr_wait = np.zeros(n_groups, np.int64)
    # operands events, one per step that streams an epilogue operand: 0 pending,
    # 1 triggered, 2 processed
    o_state = np.zeros(n_steps, np.int64)
    o_landed = np.zeros(n_steps, np.int64)
    o_op = np.zeros(n_steps, np.int64)
    o_waiter = np.full(n_steps, -1, np.int64)
    # all-of conditions on groups' done events, attached in order to each done event
    n_cond = 2 * n_groups + 2
    cd_need = np.zeros(n_cond, np.int64)
    cd_count = np.zeros(n_cond, np.int64)
    cd_fired = np.zeros(n_cond, np.int64)
    cd_pid = np.zeros(n_cond, np.int64)
    n_node = 2 * deps.shape[0] + 2
    nd_cond = np.zeros(n_node, np.int64)
    nd_next = np.full(n_node, -1, np.int64)
    dw_head = np.full(n_groups, -1, np.int64)
    dw_tail = np.full(n_groups, -1, np.int64)
    n_conds = 0
    n_nodes = 0

    eid = 0
    heap = []
    for g in range(n_groups):  # simpy's Initialize events, URGENT, in creation order
        for j in range(g_nst[g] + 1):
            heap.append((0, 0, eid, RESUME, g_pid0[g] + j, 0))
            eid += 1
    heap.append((0, 0, eid, RESUME, loader, 0))
    eid += 1
    events = 0
    dram_busy = 0
    now = 0

    while len(heap) > 0:
        now, _prio, _eid, act, a, b = heapq.heappop(heap)
        cur = -1
        if act == RESUME:
            cur = a
        elif act == PUT_INBOX:  # the put is processed: a waiting getter takes the item
            if in_wait[a] == 1 and in_put[a] > in_got[a]:
                in_wait[a] = 0
                in_got[a] += 1
                heapq.heappush(heap, (now, 1, eid, RESUME, a, 0))
                eid += 1
            cur = b
        elif act == PUT_WRITER:
            if wr_wait[a] == 1 and wr_put[a] > wr_got[a]:
                wr_wait[a] = 0
                wr_got[a] += 1
                heapq.heappush(heap, (now, 1, eid, RESUME, g_pid0[a] + g_nst[a], 0))
                eid += 1
            cur = b
        elif act == PUT_TOKEN:
            if tok_wait[a] == 1 and tok[a] > 0:
                tok_wait[a] = 0
                tok[a] -= 1
                heapq.heappush(heap, (now, 1, eid, RESUME, a, 0))
                eid += 1
        elif act == PUT_BANK:
            if b_len[a] > 0 and b_items[a] > 0:
                p = b_q[a, b_head[a]]
                b_head[a] = (b_head[a] + 1) % qcap
                b_len[a] -= 1
                b_items[a] -= 1
                heapq.heappush(heap, (now, 1, eid, RESUME, p, 0))
                eid += 1
        elif act == RELEASE:  # the release is processed: grant the next request
            if r_busy[a] == 0 and r_len[a] > 0:
                p = r_q[a, r_head[a]]
                r_head[a] = (r_head[a] + 1) % qcap
                r_len[a] -= 1
                r_busy[a] = 1
                heapq.heappush(heap, (now, 1, eid, RESUME, p, 0))
                eid += 1
        elif act == OPERANDS:
            o_state[a] = 2
            cur = o_waiter[a]
        elif act == DONE:
            node = dw_head[a]
            while node >= 0:
                c = nd_cond[node]
                if cd_fired[c] == 0:
                    cd_count[c] += 1
                    if cd_count[c] == cd_need[c]:
                        cd_fired[c] = 1
                        heapq.heappush(heap, (now, 1, eid, RESUME, cd_pid[c], 0))
                        eid += 1
                node = nd_next[node]
        if cur < 0:
            continue

        # ------------------------------------------------------------ run process `cur`
        kind = p_kind[cur]
        g = p_group[cur]
        while True:
            q = pc[cur]
            # ---- shared sub-routines: DRAM transfer (100..102), unit compute (110..112),
            # waiting for the group's deps (120)
            if q == 100:  # request the channel for transfer c_tr (its cycles fixed now)
                tr = c_tr[cur]
                if last_dir >= 0 and last_dir != t_write[tr]:
                    c_t1[cur] = t_turn[tr]
                else:
                    c_t1[cur] = t_same[tr]
                r_q[dram, (r_head[dram] + r_len[dram]) % qcap] = cur
                r_len[dram] += 1
                if r_busy[dram] == 0:
                    p = r_q[dram, r_head[dram]]
                    r_head[dram] = (r_head[dram] + 1) % qcap
                    r_len[dram] -= 1
                    r_busy[dram] = 1
                    heapq.heappush(heap, (now, 1, eid, RESUME, p, 0))
                    eid += 1
                pc[cur] = 101
                break
            if q == 101:  # granted: the work, stretched by the refreshes inside it
                tr = c_tr[cur]
                if t_bursts[tr] == 1:
                    request_log[n_logged] = tr
                    n_logged += 1
                work = c_t1[cur]
                end = now + work
                if refresh_period > 0:
                    into = now % refresh_period
                    if not (into + work <= refresh_period
                            and (now < refresh_period or into >= refresh_cycles)):
                        t = now
                        left = work
                        while True:
                            k = t // refresh_period
                            if k > 0 and t - k * refresh_period < refresh_cycles:
                                t = k * refresh_period + refresh_cycles
                            window = (t // refresh_period + 1) * refresh_period
                            if t + left <= window:
                                end = t + left
                                break
                            left -= window - t
                            t = window + refresh_cycles
                c_t1[cur] = end - now
                heapq.heappush(heap, (end, 1, eid, RESUME, cur, 0))
                eid += 1
                pc[cur] = 102
                break
            if q == 102:
                tr = c_tr[cur]
                r_busy[dram] = 0
                heapq.heappush(heap, (now, 1, eid, RELEASE, dram, 0))
                eid += 1
                dram_busy += c_t1[cur]
                op_dram_busy[t_op[tr]] += c_t1[cur]
                if t_bursts[tr] == 1:
                    last_dir = t_write[tr]
                pc[cur] = c_ret[cur]
                continue
            if q == 110:  # request the unit of work v_w
                u = w_unit[v_w[cur]]
                c_t0[cur] = now
                r_q[u, (r_head[u] + r_len[u]) % qcap] = cur
                r_len[u] += 1
                if r_busy[u] == 0:
                    p = r_q[u, r_head[u]]
                    r_head[u] = (r_head[u] + 1) % qcap
                    r_len[u] -= 1
                    r_busy[u] = 1
                    heapq.heappush(heap, (now, 1, eid, RESUME, p, 0))
                    eid += 1
                pc[cur] = 111
                break
            if q == 111:
                w = v_w[cur]
                c_t1[cur] = now
                events += 1
                heapq.heappush(heap, (now + w_cycles[w] + w_port[w], 1, eid, RESUME, cur, 0))
                eid += 1
                pc[cur] = 112
                break
            if q == 112:
                w = v_w[cur]
                u = w_unit[w]
                r_busy[u] = 0
                heapq.heappush(heap, (now, 1, eid, RELEASE, u, 0))
                eid += 1
                events += 1
                unit_busy[u] += w_cycles[w]
                o = w_op[w]
                t1 = c_t1[cur]
                if op_i[o, 0] < 0 or t1 < op_i[o, 0]:
                    op_i[o, 0] = t1
                if now > op_i[o, 1]:
                    op_i[o, 1] = now
                if op_i[o, 2] < 0:
                    op_i[o, 2] = t1
                op_i[o, 3] += w_cycles[w]
                op_i[o, 4] += w_amount[w]
                op_stall[o, S_UNIT] += t1 - c_t0[cur]
                op_stall[o, S_SRAM] += w_port[w]
                pc[cur] = c_ret[cur]
                continue

            if q == 120:  # wait for group g's deps (simpy's all-of), then pc c_ret
                pc[cur] = c_ret[cur]
                need = 0
                for di in range(g_dep0[g], g_dep1[g]):
                    if done_trig[deps[di]] == 0:
                        need += 1
                if need == 0:
                    continue
                c = n_conds
                n_conds += 1
                cd_need[c] = need
                cd_pid[c] = cur
                for di in range(g_dep0[g], g_dep1[g]):
                    d = deps[di]
                    if done_trig[d] == 0:
                        nd_cond[n_nodes] = c
                        if dw_tail[d] < 0:
                            dw_head[d] = n_nodes
                        else:
                            nd_next[dw_tail[d]] = n_nodes
                        dw_tail[d] = n_nodes
                        n_nodes += 1
                break

            if kind == 0:
                # ================================================= loader
                if q == 0:  # next group
                    if g >= n_groups:
                        pc[cur] = -1
                        break
                    v_k[cur] = 0  # deps waited
                    v_t2[cur] = -1  # open operands event (its step), or -1
                    v_s[cur] = g_step0[g]
                    pc[cur] = 1
                    continue
                if q == 1:  # next step
                    s = v_s[cur]
                    if s >= g_step1[g]:
                        g += 1
                        p_group[cur] = g
                        pc[cur] = 0
                        continue
                    v_t0[cur] = now  # arrival
                    v_x[cur] = s_load0[s]  # load cursor
                    v_w[cur] = 0  # has streamed loads
                    pc[cur] = 2
                    continue
                if q == 2:  # next load
                    s = v_s[cur]
                    li = v_x[cur]
                    if li >= s_load1[s]:
                        pc[cur] = 6
                        continue
                    pc[cur] = 3
                    if l_produced[li] == 1 and v_k[cur] == 0:
                        v_k[cur] = 1
                        c_ret[cur] = 3
                        pc[cur] = 120
                    continue
                if q == 3:
                    li = v_x[cur]
                    if l_epilogue[li] == 1:
                        v_w[cur] = 1
                        v_x[cur] = li + 1
                        pc[cur] = 2
                        continue
                    if l_bank[li] == 1:
                        bf = l_buf[li]
                        b_q[bf, (b_head[bf] + b_len[bf]) % qcap] = cur
                        b_len[bf] += 1
                        if b_items[bf] > 0:
                            p = b_q[bf, b_head[bf]]
                            b_head[bf] = (b_head[bf] + 1) % qcap
                            b_len[bf] -= 1
                            b_items[bf] -= 1
                            heapq.heappush(heap, (now, 1, eid, RESUME, p, 0))
                            eid += 1
                        pc[cur] = 4
                        break
                    pc[cur] = 5
                    continue
                if q == 4:  # bank taken
                    bf = l_buf[v_x[cur]]
                    b_use[bf] += 1
                    if b_use[bf] > bank_peak[bf]:
                        bank_peak[bf] = b_use[bf]
                    pc[cur] = 5
                    continue
                if q == 5:  # read load v_x, then back to 7 (main) or 9 (streamed)
                    li = v_x[cur]
                    c_ret[cur] = 7
                    pc[cur] = 8
                    continue
                if q == 8:  # _read(load v_x) -> arrival in v_t1, then pc c_ret... (saved)
                    li = v_x[cur]
                    if l_bytes[li] > 0:
                        c_t0[cur] = now
                        c_tr[cur] = li
                        events += 1
                        # the transfer returns to 20 + (7 or 9) to finish the read
                        c_ret[cur] = 20 + c_ret[cur]
                        pc[cur] = 100
                        continue
                    v_t1[cur] = now
                    pc[cur] = c_ret[cur]
                    continue
                if q == 27 or q == 29:  # transfer done: account the read
                    li = v_x[cur]
                    o = l_op[li]
                    v_t1[cur] = now + latency
                    op_i[o, 5] += l_bytes[li]
                    op_fill[o, l_buf[li]] += l_bytes[li]
                    if op_i[o, 0] < 0 or c_t0[cur] < op_i[o, 0]:
                        op_i[o, 0] = c_t0[cur]
                    if now > op_i[o, 1]:
                        op_i[o, 1] = now
                    pc[cur] = q - 20
                    continue
                if q == 7:  # after a main read
                    if v_t1[cur] > v_t0[cur]:
                        v_t0[cur] = v_t1[cur]
                    v_x[cur] += 1
                    pc[cur] = 2
                    continue
                if q == 6:  # loads done: hand the step to stage 0
                    s = v_s[cur]
                    if v_w[cur] == 1:
                        v_t2[cur] = s
                    s_hand[s] = v_t2[cur] if s_closes[s] == 1 else -1
                    item_ready[s_w0[s]] = v_t0[cur]
                    target = g_pid0[g]
                    in_put[target] += 1
                    heapq.heappush(heap, (now, 1, eid, PUT_INBOX, target, cur))
                    eid += 1
                    pc[cur] = 10
                    break
                if q == 10:
                    s = v_s[cur]
                    if v_w[cur] == 1:
                        v_t0[cur] = 0  # landed
                        v_x[cur] = s_load0[s]
                        pc[cur] = 11
                        continue
                    pc[cur] = 12
                    continue
                if q == 11:  # next streamed load
                    s = v_s[cur]
                    li = v_x[cur]
                    while li < s_load1[s] and l_epilogue[li] == 0:
                        li += 1
                    v_x[cur] = li
                    if li >= s_load1[s]:
                        # operands.succeed((landed, first streamed op))
                        o = v_t2[cur]
                        first = s_load0[s]
                        while l_epilogue[first] == 0:
                            first += 1
                        o_landed[o] = v_t0[cur]
                        o_op[o] = l_op[first]
                        o_state[o] = 1
                        heapq.heappush(heap, (now, 1, eid, OPERANDS, o, 0))
                        eid += 1
                        pc[cur] = 12
                        continue
                    c_ret[cur] = 9
                    pc[cur] = 8
                    continue
                if q == 9:  # after a streamed read
                    if v_t1[cur] > v_t0[cur]:
                        v_t0[cur] = v_t1[cur]
                    v_x[cur] += 1
                    pc[cur] = 11
                    continue
                if q == 12:
                    s = v_s[cur]
                    if s_closes[s] == 1:
                        v_t2[cur] = -1
                    v_s[cur] = s + 1
                    pc[cur] = 1
                    continue
            elif kind == 1:
                # ================================================= stage j of group g
                j = p_j[cur]
                last = j == g_nst[g] - 1
                if q == 0:  # next step: get it from the inbox
                    if v_k[cur] >= g_step1[g] - g_step0[g]:
                        pc[cur] = -1
                        break
                    v_t0[cur] = now  # t_wait
                    if in_put[cur] > in_got[cur]:
                        in_got[cur] += 1
                        heapq.heappush(heap, (now, 1, eid, RESUME, cur, 0))
                        eid += 1
                    else:
                        in_wait[cur] = 1
                    pc[cur] = 1
                    break
                if q == 1:
                    v_t1[cur] = now  # t0
                    pc[cur] = 2
                    if j == 0 and v_k[cur] == 0:
                        c_ret[cur] = 2
                        pc[cur] = 120
                    continue
                if q == 2:
                    v_t2[cur] = now - v_t1[cur]  # t_dep
                    s = g_step0[g] + v_k[cur]
                    ready = item_ready[s_w0[s] + j]
                    pc[cur] = 3
                    if ready > now:
                        heapq.heappush(heap, (ready, 1, eid, RESUME, cur, 0))
                        eid += 1
                        break
                    continue
                if q == 3:
                    s = g_step0[g] + v_k[cur]
                    w = s_w0[s] + j
                    o = w_op[w]
                    queued = v_t1[cur] - v_t0[cur] if v_k[cur] > 0 else 0
                    op_stall[o, S_DRAM if j == 0 else S_DEP] += (
                        queued + now - v_t1[cur] - v_t2[cur])
                    op_stall[o, S_DEP] += v_t2[cur]
                    v_t0[cur] = now  # t1
                    if not last:
                        if tok[cur] > 0:
                            tok[cur] -= 1
                            heapq.heappush(heap, (now, 1, eid, RESUME, cur, 0))
                            eid += 1
                        else:
                            tok_wait[cur] = 1
                        pc[cur] = 5
                        break
                    if s_opens[s] == 1:
                        b_q[OUT_BUF, (b_head[OUT_BUF] + b_len[OUT_BUF]) % qcap] = cur
                        b_len[OUT_BUF] += 1
                        if b_items[OUT_BUF] > 0:
                            p = b_q[OUT_BUF, b_head[OUT_BUF]]
                            b_head[OUT_BUF] = (b_head[OUT_BUF] + 1) % qcap
                            b_len[OUT_BUF] -= 1
                            b_items[OUT_BUF] -= 1
                            heapq.heappush(heap, (now, 1, eid, RESUME, p, 0))
                            eid += 1
                        pc[cur] = 4
                        break
                    pc[cur] = 5
                    continue
                if q == 4:  # output bank taken
                    b_use[OUT_BUF] += 1
                    if b_use[OUT_BUF] > bank_peak[OUT_BUF]:
                        bank_peak[OUT_BUF] = b_use[OUT_BUF]
                    pc[cur] = 5
                    continue
                if q == 5:
                    s = g_step0[g] + v_k[cur]
                    w = s_w0[s] + j
                    op_stall[w_op[w], S_BANK] += now - v_t0[cur]
                    if w_unit[w] >= 0 and w_cycles[w] + w_port[w] > 0:
                        v_w[cur] = w
                        c_ret[cur] = 6
                        pc[cur] = 110
                        continue
                    pc[cur] = 6
                    continue
                if q == 6:  # free banks, return the token, hand the step on
                    s = g_step0[g] + v_k[cur]
                    for ri in range(s_rel0[s], s_rel1[s]):
                        if rel_at[ri] == j:
                            bf = rel_buf[ri]
                            b_use[bf] -= 1
                            b_items[bf] += 1
                            heapq.heappush(heap, (now, 1, eid, PUT_BANK, bf, 0))
                            eid += 1
                    if j > 0:
                        tok[cur - 1] += 1
                        heapq.heappush(heap, (now, 1, eid, PUT_TOKEN, cur - 1, 0))
                        eid += 1
                    pc[cur] = 7
                    if not last:
                        item_ready[s_w0[s] + j + 1] = now
                        in_put[cur + 1] += 1
                        heapq.heappush(heap, (now, 1, eid, PUT_INBOX, cur + 1, cur))
                        eid += 1
                        break
                    if s_closes[s] == 1:
                        wr_put[g] += 1
                        heapq.heappush(heap, (now, 1, eid, PUT_WRITER, g, cur))
                        eid += 1
                        break
                    continue
                if q == 7:
                    v_k[cur] += 1
                    pc[cur] = 0
                    continue
            else:
                # ================================================= writer of group g
                if q == 0:  # next closing step
                    if v_k[cur] >= g_close1[g] - g_close0[g]:
                        pc[cur] = 20
                        continue
                    if wr_put[g] > wr_got[g]:
                        wr_got[g] += 1
                        heapq.heappush(heap, (now, 1, eid, RESUME, cur, 0))
                        eid += 1
                    else:
                        wr_wait[g] = 1
                    pc[cur] = 1
                    break
                if q == 1:
                    s = closing[g_close0[g] + v_k[cur]]
                    v_s[cur] = s
                    o = s_hand[s]
                    if o >= 0:
                        v_t0[cur] = now
                        pc[cur] = 2
                        if o_state[o] != 2:
                            o_waiter[o] = cur
                            break
                        continue
                    pc[cur] = 4
                    continue
                if q == 2:  # operands have been handed: wait until they have landed
                    o = s_hand[v_s[cur]]
                    pc[cur] = 3
                    if o_landed[o] > now:
                        heapq.heappush(heap, (o_landed[o], 1, eid, RESUME, cur, 0))
                        eid += 1
                        break
                    continue
                if q == 3:
                    o = s_hand[v_s[cur]]
                    op_stall[o_op[o], S_DRAM] += now - v_t0[cur]
                    pc[cur] = 4
                    continue
                if q == 4:
                    v_x[cur] = s_ep0[v_s[cur]]
                    pc[cur] = 5
                    continue
                if q == 5:  # next epilogue work
                    e = v_x[cur]
                    if e >= s_ep1[v_s[cur]]:
                        pc[cur] = 7
                        continue
                    w = ep_work[e]
                    v_x[cur] = e + 1
                    if w_cycles[w] + w_port[w] > 0:
                        v_w[cur] = w
                        c_ret[cur] = 5
                        pc[cur] = 110
                        continue
                    continue
                if q == 7:  # write the finished tile back
                    s = v_s[cur]
                    if s_wbytes[s] > 0:
                        v_t0[cur] = now
                        events += 1
                        c_tr[cur] = n_loads + s
                        c_ret[cur] = 8
                        pc[cur] = 100
                        continue
                    pc[cur] = 9
                    continue
                if q == 8:
                    s = v_s[cur]
                    t1 = now + latency
                    if t1 > v_t2[cur]:
                        v_t2[cur] = t1  # landed
                    o = s_wop[s]
                    op_i[o, 6] += s_wbytes[s]
                    op_i[o, 7] += s_wbytes[s]
                    if op_i[o, 0] < 0 or v_t0[cur] < op_i[o, 0]:
                        op_i[o, 0] = v_t0[cur]
                    if t1 > op_i[o, 1]:
                        op_i[o, 1] = t1
                    pc[cur] = 9
                    continue
                if q == 9:  # the output bank is drained
                    b_use[OUT_BUF] -= 1
                    b_items[OUT_BUF] += 1
                    heapq.heappush(heap, (now, 1, eid, PUT_BANK, OUT_BUF, 0))
                    eid += 1
                    v_k[cur] += 1
                    pc[cur] = 0
                    continue
                if q == 20:  # all written: wait until the last write has landed
                    pc[cur] = 21
                    if v_t2[cur] > now:
                        heapq.heappush(heap, (v_t2[cur], 1, eid, RESUME, cur, 0))
                        eid += 1
                        break
                    continue
                if q == 21:
                    done_trig[g] = 1
                    heapq.heappush(heap, (now, 1, eid, DONE, g, 0))
                    eid += 1
                    pc[cur] = -1
                    break
            pc[cur] = -2  # unreachable program counter: a bug, reported by the caller
            break
    counters[0] = dram_busy
    counters[1] = events
    counters[2] = now
    for bf in range(3):
        counters[3 + bf] = b_use[bf]
    counters[6] = n_logged
    for p in range(n_proc + 1):
        pc_out[p] = pc[p]
        got_out[p] = in_got[p]
