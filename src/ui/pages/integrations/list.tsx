import { allow } from "../../../access/guard";
import { ACTIVITY_WINDOWS, liveIntegrationsWithActivity } from "../../../db/integrations";
import { factory } from "../../../factory";
import { KINDS } from "../../../pipelines/snippets";
import { Empty, Table, Time } from "../../components";
import { Page } from "../../layout";
import { may } from "../../viewer";

/** Whether an endpoint that has received deploys has received none for a whole week: the list marks it. */
const silent = (lastReceivedAt: number | null, now: number) =>
	lastReceivedAt !== null && lastReceivedAt < now - ACTIVITY_WINDOWS.week;

/** The integrations, each with when it last received a deploy. */
export const integrationList = factory.createApp().get("/", allow("viewer"), async (c) => {
	const now = Date.now();
	const rows = await liveIntegrationsWithActivity(c.var.db, now);
	const notice =
		c.req.query("revoked") !== undefined ? "The integration was revoked: its URL answers 404 from now on." : undefined;
	return c.html(
		<Page title="Integrations" section="integrations" notice={notice}>
			<div class="heading">
				<h1>Integrations</h1>
				{may("admin") && (
					<div class="actions">
						<a class="button" href="/integrations/new">
							New integration
						</a>
					</div>
				)}
			</div>
			{rows.length === 0 ? (
				<Empty title="No integrations yet">
					<p>An integration gives your pipeline a secret URL to report deploys to.</p>
					{may("admin") ? (
						<a class="button" href="/integrations/new">
							New integration
						</a>
					) : (
						<p class="muted">An admin creates them.</p>
					)}
				</Empty>
			) : (
				<>
					<p class="muted">
						When each endpoint last received a deploy, and how many deploys it has from the last 24 hours and 7 days: an
						endpoint that went silent stands out.
					</p>
					<Table
						head={[
							"Name",
							<span class="hide-narrow">Tool</span>,
							"Last received",
							"24\u00a0h",
							"7\u00a0days",
							<span class="hide-narrow">Created</span>,
						]}
					>
						{rows.map((row) => (
							<tr>
								<td>
									<a href={`/integrations/${row.id}`}>{row.name}</a>
								</td>
								<td>
									<span class="hide-narrow">{KINDS[row.kind].label}</span>
								</td>
								<td>
									{row.lastReceivedAt === null ? (
										<span class="badge silent">never</span>
									) : (
										<Time ms={row.lastReceivedAt} />
									)}
									{silent(row.lastReceivedAt, now) && (
										<>
											{" "}
											<span class="badge silent" title="No deploy received in the last 7 days">
												silent
											</span>
										</>
									)}
								</td>
								<td>{row.lastDay}</td>
								<td>{row.lastWeek}</td>
								<td>
									<span class="hide-narrow">
										<Time ms={row.createdAt} />
									</span>
								</td>
							</tr>
						))}
					</Table>
				</>
			)}
		</Page>,
	);
});
