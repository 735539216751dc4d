/**
 * Every feature's routes, registered under /api in this order. A new feature adds
 * one line here (and nothing else in app.ts).
 */
import type { FastifyPluginAsync } from 'fastify';
import healthRoutes from './health/routes.ts';
import unitRoutes from './units/routes.ts';
import facilityRoutes from './facilities/routes.ts';
import ruleRoutes from './rules/routes.ts';
import importExportRoutes from './importexport/routes.ts';
import authRoutes from './auth/routes.ts';
import accessRoutes from './access/routes.ts';
import tileRoutes from './tiles/routes.ts';
import uiRoutes from './ui/routes.ts';
import scenarioRoutes from './scenarios/routes.ts';
import reportRoutes from './reports/routes.ts';

export const apiRoutes: FastifyPluginAsync[] = [healthRoutes, unitRoutes, facilityRoutes, importExportRoutes, authRoutes, ruleRoutes, accessRoutes, tileRoutes, uiRoutes, scenarioRoutes, reportRoutes] as FastifyPluginAsync[];
